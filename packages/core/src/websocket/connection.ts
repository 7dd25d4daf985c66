import { ParleyError } from '../errors.js';
import type { Random } from '../io.js';
import {
  isValidWsCloseCode,
  WS_CLOSE_ABNORMAL,
  WS_CLOSE_NO_STATUS,
  WS_CLOSE_NORMAL,
  WS_OP_CLOSE,
  WS_OP_PING,
  WS_OP_PONG,
} from './constants.js';
import { WebSocketFrameDecoder, type WebSocketRole } from './frame-decoder.js';
import { WebSocketFrameEncoder } from './frame-encoder.js';
import type { WebSocketAssembler, WebSocketHandlers } from './handlers.js';
import { resolveWsLimits, type WebSocketLimits } from './limits.js';
import { WebSocketReceiveDispatch } from './receive-dispatch.js';
import { WebSocketSender } from './sender.js';
import { wsCloseError } from './ws-errors.js';

/** `open` until a close frame is sent or received, `closing` while waiting for the peer's, then `closed`. */
export type WebSocketState = 'open' | 'closing' | 'closed';

/** Keep-alive: ping a peer that has been silent for `intervalMs`; give up `timeoutMs` later. */
export interface WebSocketKeepAlive {
  intervalMs: number;
  timeoutMs: number;
}

/** Options of a {@link WebSocketConnection}. */
export interface WebSocketConnectionOptions {
  /** `server` expects masked frames and sends unmasked ones; `client` the reverse. */
  role: WebSocketRole;
  /** Source of masking keys; required in the client role. */
  random?: Random;
  /** Receive handlers (see {@link WebSocketHandlers} for the three levels). */
  handlers?: WebSocketHandlers;
  /** Receive limits; defaults in {@link WebSocketLimits}. */
  limits?: Partial<WebSocketLimits>;
  /** The time the connection opened, in ms; the keep-alive counts from it. Default 0. */
  now?: number;
  /** Keep-alive pings and dead-peer detection; off when omitted. */
  keepAlive?: WebSocketKeepAlive;
  /** How long to wait for the peer's close frame after sending ours. Default {@link DEFAULT_WS_CLOSE_TIMEOUT_MS}. */
  closeTimeoutMs?: number;
}

/** Default wait for the peer's close frame: 5 s. */
export const DEFAULT_WS_CLOSE_TIMEOUT_MS = 5000;

const EMPTY = new Uint8Array(0);
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * One WebSocket connection after the handshake, as a sans-IO state machine in the quinn-proto
 * shape: hand it received bytes with {@link receive} and the time with {@link handleTimeout}; take
 * bytes to write from {@link pollTransmit} and the next deadline from {@link pollTimeout}. It never
 * reads a clock, sets a timer or touches a socket. Received messages, pings, pongs, errors and the
 * close are reported through {@link WebSocketHandlers}, synchronously.
 *
 * When {@link state} becomes `closed` (and {@link WebSocketHandlers.onClose} has fired), write what
 * {@link pollTransmit} still returns, then close the transport.
 */
export class WebSocketConnection {
  readonly role: WebSocketRole;
  readonly #h: WebSocketHandlers;
  readonly #limits: WebSocketLimits;
  readonly #decoder: WebSocketFrameDecoder;
  readonly #encoder: WebSocketFrameEncoder;
  readonly #sender: WebSocketSender;
  readonly #dispatch: WebSocketReceiveDispatch;
  #state: WebSocketState = 'open';

  // Timers, as deadlines.
  readonly #keepAlive: WebSocketKeepAlive | undefined;
  readonly #closeTimeout: number;
  #lastSeen: number;
  #pingAt: number | undefined;
  #closeDeadline: number | undefined;

  constructor(options: WebSocketConnectionOptions) {
    this.role = options.role;
    if (options.role === 'client' && options.random === undefined) {
      throw new ParleyError('invalid_argument', 'the client role needs a Random for masking keys');
    }
    this.#h = options.handlers ?? {};
    this.#limits = resolveWsLimits(options.limits);
    this.#dispatch = new WebSocketReceiveDispatch(this.#h, this.#limits, {
      control: (opcode, payload) => this.#control(opcode, payload),
      fail: (code, reason) => this.#fail(code, reason),
    });
    this.#decoder = new WebSocketFrameDecoder(this.#dispatch, options.role, this.#limits);
    this.#encoder = new WebSocketFrameEncoder(options.role === 'client' ? options.random : undefined);
    this.#sender = new WebSocketSender(this.#encoder);
    this.#keepAlive = options.keepAlive;
    this.#closeTimeout = options.closeTimeoutMs ?? DEFAULT_WS_CLOSE_TIMEOUT_MS;
    this.#lastSeen = options.now ?? 0;
  }

  /** The connection's state; see {@link WebSocketState}. */
  get state(): WebSocketState {
    return this.#state;
  }

  /** The receive limits in force. */
  get limits(): Readonly<WebSocketLimits> {
    return this.#limits;
  }

  /** Outbound bytes queued in the connection, not yet taken by {@link pollTransmit}. */
  get bufferedAmount(): number {
    return this.#encoder.bufferedAmount;
  }

  /**
   * Received bytes held while a frame or message is assembled (a partial header, a control frame,
   * message data). Bounded by the limits: at most about twice `maxMessage` plus `maxFrame`.
   */
  get receiveBuffered(): number {
    return this.#decoder.bufferedBytes + this.#dispatch.bufferedBytes;
  }

  /** The default level-2 and level-3 handlers, for your own handlers to call. */
  get assemble(): WebSocketAssembler {
    return this.#dispatch.assemble;
  }

  // ---- input -------------------------------------------------------------------------------

  /**
   * Bytes received from the peer at time `now`. The connection owns `bytes` from here on (it
   * unmasks in place and hands out views into them). Never throws on bad input: a protocol
   * violation closes the connection with the right code.
   */
  receive(now: number, bytes: Uint8Array): void {
    this.#lastSeen = now;
    this.#pingAt = undefined;
    this.#decoder.push(bytes);
  }

  /** The transport closed or failed; reports close code 1006 unless the handshake finished. */
  transportClosed(): void {
    this.#finish(WS_CLOSE_ABNORMAL, '', false);
  }

  /** The next time {@link handleTimeout} must be called, or `undefined` when nothing is pending. */
  pollTimeout(): number | undefined {
    if (this.#state === 'closing') return this.#closeDeadline;
    const ka = this.#keepAlive;
    if (this.#state === 'closed' || ka === undefined || ka.intervalMs <= 0) return undefined;
    return this.#pingAt === undefined ? this.#lastSeen + ka.intervalMs : this.#pingAt + ka.timeoutMs;
  }

  /** Fires whatever is due at `now`: a keep-alive ping, a dead-peer or a close-handshake timeout. */
  handleTimeout(now: number): void {
    if (this.#state === 'closing') {
      if (this.#closeDeadline !== undefined && now >= this.#closeDeadline) {
        this.#finish(WS_CLOSE_ABNORMAL, 'close handshake timed out', false);
      }
      return;
    }
    const ka = this.#keepAlive;
    if (this.#state !== 'open' || ka === undefined || ka.intervalMs <= 0) return;
    if (this.#pingAt === undefined) {
      if (now >= this.#lastSeen + ka.intervalMs) {
        this.#sender.control(WS_OP_PING, EMPTY);
        this.#pingAt = now;
      }
    } else if (now >= this.#pingAt + ka.timeoutMs) {
      this.#finish(WS_CLOSE_ABNORMAL, 'no reply to keep-alive ping', false);
    }
  }

  // ---- output ------------------------------------------------------------------------------

  /** The next bytes to write to the transport, or `undefined` when none are queued. */
  pollTransmit(): Uint8Array | undefined {
    return this.#encoder.poll();
  }

  /**
   * Sends a whole message: text for a string, binary for bytes, unless `binary` says otherwise
   * (text given as bytes must be valid UTF-8). Large byte payloads are queued by reference: do not
   * change them until written. Returns false, sending nothing, once the connection is closing.
   */
  send(data: string | Uint8Array, binary: boolean = typeof data !== 'string'): boolean {
    if (!this.#canSend()) return false;
    this.#sender.message(toBytes(data), binary);
    return true;
  }

  /** Starts a message sent frame by frame ({@link frameSend}, {@link frameDataBegin}, {@link messageEnd}). */
  messageBegin(binary: boolean): boolean {
    if (!this.#canSend()) return false;
    this.#sender.messageBegin(binary);
    return true;
  }

  /** Sends one whole, non-final frame of the message begun with {@link messageBegin}. */
  frameSend(payload: string | Uint8Array): boolean {
    if (!this.#canSend()) return false;
    this.#sender.frameSend(toBytes(payload));
    return true;
  }

  /**
   * Declares the next frame's payload length; its bytes follow through {@link frameDataSend}, in
   * as many chunks as you like. A `final` frame ends the message with its last byte. Sending more
   * or fewer bytes than declared throws (`ws_frame_overflow`, `ws_frame_incomplete`).
   */
  frameDataBegin(length: number, final = false): boolean {
    if (!this.#canSend()) return false;
    this.#sender.frameDataBegin(length, final);
    return true;
  }

  /** Payload bytes of the frame declared with {@link frameDataBegin}. */
  frameDataSend(chunk: Uint8Array): boolean {
    // A close requested mid-frame waits for the frame, so the frame's bytes must still go out.
    if (this.#state === 'closed' || (this.#sender.closeSent && !this.#sender.midFrame)) return false;
    this.#sender.frameDataSend(chunk);
    return true;
  }

  /** Ends the message with a final frame holding `payload` (empty by default). */
  messageEnd(payload: string | Uint8Array = EMPTY): boolean {
    if (!this.#canSend()) return false;
    this.#sender.messageEnd(toBytes(payload));
    return true;
  }

  /** Sends a ping (at most 125 bytes of payload). */
  ping(payload: string | Uint8Array = EMPTY): boolean {
    if (!this.#canSend()) return false;
    this.#sender.control(WS_OP_PING, toBytes(payload));
    return true;
  }

  /** Sends an unsolicited pong (at most 125 bytes of payload). */
  pong(payload: string | Uint8Array = EMPTY): boolean {
    if (!this.#canSend()) return false;
    this.#sender.control(WS_OP_PONG, toBytes(payload));
    return true;
  }

  /**
   * Starts the close handshake at time `now`: sends a close frame and waits up to the close
   * timeout for the peer's. `code` must be sendable (1000-1003, 1007-1014, 3000-4999) and
   * `reason` at most 123 bytes of UTF-8. Does nothing once closing.
   */
  close(now: number, code: number = WS_CLOSE_NORMAL, reason = ''): void {
    if (!isValidWsCloseCode(code))
      throw new ParleyError('invalid_argument', `close code ${code} cannot be sent`);
    const payload = encodeClose(code, reason);
    if (payload.length > 125) throw new ParleyError('invalid_argument', 'close reason over 123 bytes');
    if (this.#state !== 'open') return;
    this.#sender.control(WS_OP_CLOSE, payload);
    this.#state = 'closing';
    this.#closeDeadline = now + this.#closeTimeout;
  }

  #control(opcode: number, payload: Uint8Array): void {
    if (opcode === WS_OP_PING) {
      if (this.#state === 'open') this.#sender.control(WS_OP_PONG, payload);
      this.#h.onPing?.(payload);
    } else if (opcode === WS_OP_PONG) {
      this.#h.onPong?.(payload);
    } else {
      this.#decoder.stop();
      const code =
        payload.length >= 2 ? ((payload[0] as number) << 8) | (payload[1] as number) : WS_CLOSE_NO_STATUS;
      const reason = payload.length > 2 ? utf8Decoder.decode(payload.subarray(2)) : '';
      // Echo the status code (without the reason), as RFC 6455 section 5.5.1 suggests.
      if (this.#state === 'open')
        this.#sender.control(WS_OP_CLOSE, payload.subarray(0, Math.min(2, payload.length)));
      this.#finish(code, reason, true);
    }
  }

  #fail(code: number, reason: string): void {
    if (this.#state === 'closed') return;
    // Inside a streamed frame of ours there is no way to put a close frame on the wire.
    if (this.#state === 'open' && !this.#sender.midFrame)
      this.#sender.control(WS_OP_CLOSE, encodeClose(code, reason));
    this.#h.onError?.(wsCloseError(code, reason));
    this.#finish(code, reason, false);
  }

  #finish(code: number, reason: string, wasClean: boolean): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#decoder.stop();
    this.#closeDeadline = undefined;
    this.#h.onClose?.(code, reason, wasClean);
  }

  #canSend(): boolean {
    return this.#state === 'open' && !this.#sender.closeSent;
  }
}

function toBytes(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? utf8Encoder.encode(data) : data;
}

function encodeClose(code: number, reason: string): Uint8Array {
  const text = utf8Encoder.encode(reason);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}
