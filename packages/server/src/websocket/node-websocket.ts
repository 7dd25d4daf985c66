import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  type Clock,
  ParleyError,
  type Random,
  type TimerId,
  type Timers,
  type WebSocketAssembler,
  WebSocketConnection,
  type WebSocketHandlers,
  type WebSocketKeepAlive,
  type WebSocketLimits,
  type WebSocketRole,
  type WebSocketState,
} from '@parley/core';
import { nodeClock, nodeRandom, nodeTimers } from '@parley/transport-node';

/** Events of a {@link NodeWebSocket}, as Node `EventEmitter` argument tuples. */
export interface NodeWebSocketEvents {
  /** A whole message (`data` is a Buffer view of the received bytes; it is not reused). */
  message: [data: Buffer, binary: boolean];
  ping: [payload: Buffer];
  pong: [payload: Buffer];
  /** Fires once, when the connection is closed (1006: no close handshake). */
  close: [code: number, reason: string, wasClean: boolean];
  /** A protocol failure (code `"1002"`, `"1007"`, `"1009"`) or an overflow (`ws_send_overflow`). Only emitted when listened to. */
  error: [error: ParleyError];
  /** The socket's write buffer drained below the high-water mark. */
  drain: [];
}

/** Receive handlers of levels 2 and 3 (see `WebSocketHandlers` in core); `message` events need the defaults. */
export type NodeWebSocketLowLevelHandlers = Pick<
  WebSocketHandlers,
  'onMessageBegin' | 'onMessageFrame' | 'onMessageEnd' | 'onFrameBegin' | 'onFrameData' | 'onFrameEnd'
>;

/** Options shared by the server and client adapters. */
export interface NodeWebSocketOptions {
  /** Receive limits (1009 when exceeded). Defaults: 16 MiB frame and message, 65,536 frames. */
  limits?: Partial<WebSocketLimits>;
  /** Keep-alive pings; `false` turns them off. Default {@link DEFAULT_NODE_WS_KEEP_ALIVE}. */
  keepAlive?: WebSocketKeepAlive | false;
  /** Wait for the peer's close frame, then for its TCP close. Default 5000 ms. */
  closeTimeoutMs?: number;
  /**
   * Stop reading from the socket while more than this many bytes wait to be written to it (the
   * peer is not reading); resume on `drain`. Default {@link DEFAULT_NODE_WS_HIGH_WATER_MARK}.
   */
  highWaterMark?: number;
  /** Terminate the connection when this many bytes wait to be written. Default {@link DEFAULT_NODE_WS_MAX_BUFFERED}. */
  maxBufferedAmount?: number;
  /** Level-2 or level-3 receive handlers, for streaming (see docs/websocket.md). */
  handlers?: NodeWebSocketLowLevelHandlers;
  /** Time source for the codec's deadlines. Default `nodeClock`. */
  clock?: Clock;
  /** Timer source for the connection's one timer. Default `nodeTimers`. */
  timers?: Timers;
  /** Masking keys in the client role. Default `nodeRandom` (node:crypto). */
  random?: Random;
}

/** Default keep-alive: ping after 30 s of silence, give up 10 s later. */
export const DEFAULT_NODE_WS_KEEP_ALIVE: WebSocketKeepAlive = { intervalMs: 30_000, timeoutMs: 10_000 };
/** Default high-water mark for pausing reads: 1 MiB. */
export const DEFAULT_NODE_WS_HIGH_WATER_MARK = 1024 * 1024;
/** Default most bytes waiting to be written before the connection is terminated: 64 MiB. */
export const DEFAULT_NODE_WS_MAX_BUFFERED = 64 * 1024 * 1024;

const toBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);

// The socket's NodeWebSocket, so that the socket listeners can be shared functions rather than
// four closures per connection (memory per idle connection is a goal: docs/websocket.md).
const kWs = Symbol('parley.ws');
type OwnedSocket = Duplex & { [kWs]?: NodeWebSocket };

/** Core's handlers as one small object per connection (methods on the prototype, no closures). */
class Bridge implements WebSocketHandlers {
  constructor(readonly ws: NodeWebSocket) {}
  onMessage(data: Uint8Array, binary: boolean): void {
    this.ws.emit('message', toBuffer(data), binary);
  }
  onPing(p: Uint8Array): void {
    if (this.ws.listenerCount('ping') > 0) this.ws.emit('ping', Buffer.from(p));
  }
  onPong(p: Uint8Array): void {
    if (this.ws.listenerCount('pong') > 0) this.ws.emit('pong', Buffer.from(p));
  }
  onError(e: ParleyError): void {
    if (this.ws.listenerCount('error') > 0) this.ws.emit('error', e);
  }
  onClose(code: number, reason: string, wasClean: boolean): void {
    this.ws.emit('close', code, reason, wasClean);
  }
}

/**
 * Core's {@link WebSocketConnection} driven over a Node socket: socket bytes in, socket writes
 * out, one timer for the connection's next deadline, and read pausing for backpressure.
 */
export class NodeWebSocket extends EventEmitter<NodeWebSocketEvents> {
  /** The subprotocol agreed in the handshake, if any. */
  readonly protocol: string | undefined;
  readonly #socket: Duplex;
  readonly #conn: WebSocketConnection;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #highWaterMark: number;
  readonly #maxBuffered: number;
  readonly #closeTimeout: number;
  #timer: TimerId | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #paused = false;
  #ended = false;
  // While received bytes are processed, sends made by handlers are only queued, then written
  // together (one writev for a read full of echoes instead of a write per message).
  #receiving = false;

  /** @internal Use `acceptWebSocket` or `connectWebSocket`. */
  constructor(
    socket: Duplex,
    role: WebSocketRole,
    head: Buffer,
    protocol: string | undefined,
    options: NodeWebSocketOptions = {},
  ) {
    super();
    this.protocol = protocol;
    this.#socket = socket;
    this.#clock = options.clock ?? nodeClock;
    this.#timers = options.timers ?? nodeTimers;
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_NODE_WS_HIGH_WATER_MARK;
    this.#maxBuffered = options.maxBufferedAmount ?? DEFAULT_NODE_WS_MAX_BUFFERED;
    this.#closeTimeout = options.closeTimeoutMs ?? 5000;
    const keepAlive =
      options.keepAlive === false ? undefined : (options.keepAlive ?? DEFAULT_NODE_WS_KEEP_ALIVE);
    this.#conn = new WebSocketConnection({
      role,
      random: options.random ?? nodeRandom,
      limits: options.limits,
      now: this.#clock.now(),
      keepAlive,
      closeTimeoutMs: this.#closeTimeout,
      handlers: options.handlers ? Object.assign(new Bridge(this), options.handlers) : new Bridge(this),
    });
    const s = socket as Duplex & { setNoDelay?: (v: boolean) => void; setTimeout?: (ms: number) => void };
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
    (socket as OwnedSocket)[kWs] = this;
    socket.on('data', NodeWebSocket.#onData);
    socket.on('drain', NodeWebSocket.#onDrain);
    socket.on('end', NodeWebSocket.#onEnd);
    socket.on('error', NodeWebSocket.#onError);
    socket.on('close', NodeWebSocket.#onClose);
    if (head.length > 0) this.#conn.receive(this.#clock.now(), Buffer.from(head));
    this.#flush();
  }

  static #onData(this: OwnedSocket, chunk: Buffer): void {
    // biome-ignore lint/complexity/noThisInStatic: Node calls socket listeners with the socket as `this`.
    const ws = this[kWs];
    if (ws === undefined) return;
    ws.#receiving = true;
    try {
      ws.#conn.receive(ws.#clock.now(), chunk);
    } finally {
      ws.#receiving = false;
    }
    ws.#flush();
  }

  static #onDrain(this: OwnedSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: Node calls socket listeners with the socket as `this`.
    const ws = this[kWs];
    if (ws !== undefined) ws.#drained();
  }

  // The peer sent FIN. HTTP servers keep such sockets half-open (`allowHalfOpen`), and a peer that
  // can no longer send cannot finish a close handshake: the transport is closing (1006), and our
  // side ends once what is queued is written (or is cut after the close timeout).
  static #onEnd(this: OwnedSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: Node calls socket listeners with the socket as `this`.
    const ws = this[kWs];
    if (ws === undefined) return;
    ws.#conn.transportClosed();
    ws.#flush();
  }

  static #onError(this: OwnedSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: Node calls socket listeners with the socket as `this`.
    this.destroy();
  }

  static #onClose(this: OwnedSocket): void {
    // biome-ignore lint/complexity/noThisInStatic: Node calls socket listeners with the socket as `this`.
    const ws = this[kWs];
    if (ws === undefined) return;
    ws.#clearTimer();
    ws.#conn.transportClosed();
  }

  /** `open`, `closing` or `closed`. */
  get state(): WebSocketState {
    return this.#conn.state;
  }

  /** Bytes not yet handed to the kernel: queued in the codec plus waiting in the socket. */
  get bufferedAmount(): number {
    return this.#conn.bufferedAmount + this.#socket.writableLength;
  }

  /** The default level-2/3 handlers, for low-level handlers that still want `message` events. */
  get assemble(): WebSocketAssembler {
    return this.#conn.assemble;
  }

  /** Sends a message: text for a string, binary for bytes unless `binary` says otherwise. */
  send(data: string | Uint8Array, binary?: boolean): boolean {
    return this.#after(this.#conn.send(data, binary));
  }

  /** Starts a message sent frame by frame. */
  messageBegin(binary: boolean): boolean {
    return this.#after(this.#conn.messageBegin(binary));
  }

  /** Sends one non-final frame of the current message. */
  frameSend(payload: string | Uint8Array): boolean {
    return this.#after(this.#conn.frameSend(payload));
  }

  /** Declares the next frame's length; its payload follows through {@link frameDataSend}. */
  frameDataBegin(length: number, final = false): boolean {
    return this.#after(this.#conn.frameDataBegin(length, final));
  }

  /** Payload bytes of the declared frame. */
  frameDataSend(chunk: Uint8Array): boolean {
    return this.#after(this.#conn.frameDataSend(chunk));
  }

  /** Ends the current message with a final frame. */
  messageEnd(payload?: string | Uint8Array): boolean {
    return this.#after(this.#conn.messageEnd(payload));
  }

  /** Sends a ping (at most 125 bytes); the `pong` event reports the answer. */
  ping(payload?: string | Uint8Array): boolean {
    return this.#after(this.#conn.ping(payload));
  }

  /** Sends an unsolicited pong (pings are answered automatically). */
  pong(payload?: string | Uint8Array): boolean {
    return this.#after(this.#conn.pong(payload));
  }

  /** Starts the close handshake (code 1000 by default). */
  close(code?: number, reason?: string): void {
    this.#conn.close(this.#clock.now(), code, reason);
    this.#flush();
  }

  /** Drops the connection at once, without a close handshake (reported as 1006). */
  terminate(): void {
    this.#socket.destroy();
    this.#conn.transportClosed();
    this.#clearTimer();
  }

  #after(sent: boolean): boolean {
    if (sent && !this.#receiving) this.#flush();
    return sent;
  }

  /** Writes what the codec queued, applies backpressure, closes when done, re-arms the timer. */
  #flush(): void {
    const socket = this.#socket;
    const conn = this.#conn;
    let chunk = conn.pollTransmit();
    if (chunk !== undefined && !socket.destroyed && !this.#ended) {
      const next = conn.pollTransmit();
      if (next === undefined) socket.write(chunk);
      else {
        socket.cork();
        socket.write(chunk);
        for (chunk = next; chunk !== undefined; chunk = conn.pollTransmit()) socket.write(chunk);
        socket.uncork();
      }
    } else {
      while (conn.pollTransmit() !== undefined) {}
    }
    const waiting = socket.writableLength;
    if (waiting > this.#maxBuffered) {
      this.#error(new ParleyError('ws_send_overflow', `${waiting} bytes wait to be written; terminating`));
      this.terminate();
      return;
    }
    if (waiting > this.#highWaterMark && !this.#paused) {
      this.#paused = true;
      socket.pause();
    }
    if (conn.state === 'closed') {
      this.#end();
      return;
    }
    this.#arm();
  }

  #drained(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#socket.resume();
    }
    this.emit('drain');
  }

  #end(): void {
    this.#clearTimer();
    if (this.#ended) return;
    this.#ended = true;
    const socket = this.#socket;
    socket.end();
    // A peer that never closes its side is cut off after the close timeout.
    const t = this.#timers.set(() => socket.destroy(), this.#closeTimeout);
    socket.once('close', () => this.#timers.clear(t));
  }

  /** One timer per connection: kept when it fires no later than needed (deadlines only move later with traffic). */
  #arm(): void {
    const at = this.#conn.pollTimeout();
    if (at === undefined) {
      this.#clearTimer();
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    this.#timer = this.#timers.set(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#conn.handleTimeout(this.#clock.now());
        this.#flush();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#timers.clear(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #error(e: ParleyError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
