import {
  type Clock,
  type RealtimeClusterEvent,
  type RealtimeRouter,
  type RealtimeRouterOutput,
  type TimerId,
  type Timers,
  WS_CLOSE_GOING_AWAY,
  WS_CLOSE_POLICY_VIOLATION,
  WS_CLOSE_UNSUPPORTED_DATA,
} from '@parley/core';
import type { Logger } from 'pino';
import type { NodeWebSocket } from '../websocket/index.js';

/** Who is on the other end of a realtime connection. */
export interface RealtimePeer {
  userId: string;
  deviceId: string;
  /** The user's realtime handle. */
  handle: string;
}

/** What a {@link RealtimeHub} drives and with what. */
export interface RealtimeHubDeps {
  router: RealtimeRouter;
  /** Unsent bytes a connection may hold before it is closed as too slow (1008). */
  maxBufferedBytes: number;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  /** Called when a connection closes for being too slow (metrics). */
  onTooSlow?: (peer: RealtimePeer) => void;
  /**
   * Receives what the router reports for the other server instances (`pollCluster()`, cluster
   * mode), in order, each time the router's output is drained.
   */
  publishCluster?: (event: RealtimeClusterEvent) => void;
  /**
   * Runs `callback` once the current I/O is handled (default `setImmediate`). The router's output
   * is sent then, not after each message, so that what every socket read of this event-loop turn
   * produced for a connection leaves in one WebSocket message and one write.
   */
  defer?: (callback: () => void) => void;
}

interface HubConn {
  readonly id: number;
  readonly ws: NodeWebSocket;
  readonly peer: RealtimePeer;
  /** The router has forgotten it (its close was sent); the socket is finishing the handshake. */
  done: boolean;
}

// setTimeout refuses longer delays (they would fire at once).
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * Drives a {@link RealtimeRouter} from WebSockets: binary messages in, the router's output
 * (`poll()`) out to the sockets, its close actions applied, and one timer for `pollTimeout()`.
 *
 * Backpressure policy: before a batch goes to a connection whose socket still holds more than
 * `maxBufferedBytes` unsent bytes, the connection is closed with 1008 "too slow" and everything
 * queued for it is dropped. Nothing is dropped silently from a connection that stays open, because
 * presence and in-call news are deltas: a client that missed one would show a wrong state until it
 * reconnects, so it is made to reconnect (and gets a fresh login dump). Memory per connection is
 * bounded by `maxBufferedBytes` plus one batch (at most 64 KiB, or one RTMSG of `maxRtmsgBytes`).
 */
export class RealtimeHub {
  readonly router: RealtimeRouter;
  readonly #deps: RealtimeHubDeps;
  readonly #conns = new Map<number, HubConn>();
  readonly #closedWaiters = new Set<() => void>();
  #nextId = 1;
  #timer: TimerId | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #closing = false;
  #drainScheduled = false;
  readonly #defer: (callback: () => void) => void;
  readonly #scheduledDrain = (): void => {
    this.#drainScheduled = false;
    this.#drain();
  };

  constructor(deps: RealtimeHubDeps) {
    this.#deps = deps;
    this.router = deps.router;
    this.#defer = deps.defer ?? setImmediate;
  }

  /** Open sockets (including those finishing a close handshake). */
  get socketCount(): number {
    return this.#conns.size;
  }

  /**
   * Hands an accepted WebSocket to the router. Returns its connection id. Over a connection
   * limit the router closes it at once with 1008.
   */
  attach(ws: NodeWebSocket, peer: RealtimePeer): number {
    const id = this.#nextId++;
    const conn: HubConn = { id, ws, peer, done: false };
    this.#conns.set(id, conn);
    ws.on('message', (data, binary) => {
      if (conn.done) return;
      if (!binary) {
        this.#finish(conn, WS_CLOSE_UNSUPPORTED_DATA, 'text messages are not part of the realtime protocol');
      } else {
        this.router.handleMessage(id, data, this.#deps.clock.now());
      }
      this.#scheduleDrain();
    });
    ws.on('error', (err) => this.#deps.logger.debug({ err, connId: id }, 'realtime socket error'));
    ws.on('close', () => {
      this.#conns.delete(id);
      if (!conn.done) {
        conn.done = true;
        this.router.disconnect(id, this.#deps.clock.now());
        this.#drain();
      }
      if (this.#conns.size === 0) for (const w of [...this.#closedWaiters]) w();
    });
    if (this.#closing) {
      this.#finish(conn, WS_CLOSE_GOING_AWAY, 'server shutting down');
      return id;
    }
    this.router.connect(id, peer.handle, this.#deps.clock.now());
    this.#drain();
    return id;
  }

  /** Closes every connection of a device (e.g. at logout) with 1008. */
  closeDevice(userId: string, deviceId: string, reason: string): void {
    for (const c of this.#conns.values()) {
      if (!c.done && c.peer.userId === userId && c.peer.deviceId === deviceId) {
        this.#finish(c, WS_CLOSE_POLICY_VIOLATION, reason);
      }
    }
    this.#drain();
  }

  /**
   * Closes every connection with 1001 and resolves when their sockets are gone; sockets still
   * open after `timeoutMs` (a peer that vanished without a close frame) are cut. New sockets are
   * closed as they attach.
   */
  async close(timeoutMs: number): Promise<void> {
    this.#closing = true;
    for (const c of this.#conns.values())
      if (!c.done) this.#finish(c, WS_CLOSE_GOING_AWAY, 'server shutting down');
    this.#drain();
    this.#clearTimer();
    if (this.#conns.size > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#closedWaiters.delete(done);
          resolve();
        };
        // A referenced timer (not the injected, unreferenced ones): shutdown must not let the
        // process end before the sockets are closed.
        const timer = setTimeout(done, timeoutMs);
        this.#closedWaiters.add(done);
      });
    }
    for (const c of [...this.#conns.values()]) c.ws.terminate();
  }

  /** Drops the router's state of `conn`, and everything queued for it, and closes the socket. */
  #finish(conn: HubConn, code: number, reason: string): void {
    if (conn.done) return;
    conn.done = true;
    this.router.disconnect(conn.id, this.#deps.clock.now());
    conn.ws.close(code, reason);
  }

  /**
   * Sends what the router queued because of a change made from outside a socket (membership,
   * contacts) and re-arms its timer.
   */
  flush(): void {
    this.#drain();
  }

  #scheduleDrain(): void {
    if (this.#drainScheduled) return;
    this.#drainScheduled = true;
    this.#defer(this.#scheduledDrain);
  }

  /** Sends everything the router has queued, then re-arms the timer. */
  #drain(): void {
    for (let o = this.router.poll(); o !== undefined; o = this.router.poll()) this.#apply(o);
    const publish = this.#deps.publishCluster;
    if (publish !== undefined) {
      for (let e = this.router.pollCluster(); e !== undefined; e = this.router.pollCluster()) publish(e);
    }
    if (!this.#closing) this.#arm();
  }

  #apply(o: RealtimeRouterOutput): void {
    const conn = this.#conns.get(o.connId);
    if (conn === undefined || conn.done) return;
    if ('close' in o) {
      conn.done = true; // the router has already forgotten it
      conn.ws.close(o.close.code, o.close.reason);
      return;
    }
    const waiting = conn.ws.bufferedAmount;
    if (waiting > this.#deps.maxBufferedBytes) {
      this.#deps.logger.info({ connId: conn.id, user: conn.peer.userId, waiting }, 'realtime: too slow');
      this.#deps.onTooSlow?.(conn.peer);
      this.#finish(conn, WS_CLOSE_POLICY_VIOLATION, `too slow: ${waiting} bytes unsent`);
      return;
    }
    conn.ws.send(o.bytes, true);
  }

  /** One timer for the router: kept when it fires no later than needed (firing early is harmless). */
  #arm(): void {
    const at = this.router.pollTimeout();
    if (at === undefined) {
      this.#clearTimer();
      return;
    }
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    this.#clearTimer();
    this.#timerAt = at;
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, at - this.#deps.clock.now()));
    this.#timer = this.#deps.timers.set(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.router.handleTimeout(this.#deps.clock.now());
      this.#drain();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#deps.timers.clear(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }
}
