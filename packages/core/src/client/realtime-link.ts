import { isParleyError, ParleyError } from '../errors.js';
import type { Clock, TimerId, Timers } from '../io.js';
import type { RealtimeClient } from '../realtime/client.js';
import type { RealtimeClientEvent } from '../realtime/client-events.js';
import type { ClientApi } from './client-api.js';
import type { ChannelState } from './client-events.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import { ReconnectTracker } from './reconnect-tracker.js';
import { type WebSocketFactory, type WebSocketLike, WS_OPEN } from './websocket-like.js';

/** What a {@link RealtimeLink} reports. */
export interface RealtimeLinkHooks {
  event: (event: RealtimeClientEvent) => void;
  state: (state: ChannelState) => void;
  /** The server refused our token when asked for a ticket: the link has stopped. */
  unauthorized: (error: ParleyError) => void;
  warning: (error: ParleyError) => void;
}

/** Options of {@link RealtimeLink}. */
export interface RealtimeLinkOptions {
  api: ClientApi;
  webSocket: WebSocketFactory;
  machine: RealtimeClient;
  clock: Clock;
  timers: Timers;
  policy: ReconnectPolicy;
  /** Flap guard: how long a connection must last before its loss resets the backoff. Default 10 s. */
  stableAfterMs?: number;
  /** Give up on a socket that has not opened after this long. Default 15 s. */
  connectTimeoutMs?: number;
  /** Stop handing bytes to the socket while more than this is buffered in it. Default 1 MiB. */
  maxBufferedBytes?: number;
  hooks: RealtimeLinkHooks;
}

/**
 * Runs the realtime channel over a {@link WebSocketLike}: fetches a single-use ticket, opens the
 * socket, feeds the sans-IO `RealtimeClient` and carries out what it asks (bytes, closes, its
 * next deadline on the injected timers), and reconnects through the {@link ReconnectPolicy}
 * with the flap guard. One `RealtimeClient` lives across reconnects, so presence choices and
 * calls survive them.
 */
export class RealtimeLink {
  readonly #o: Required<Omit<RealtimeLinkOptions, 'hooks'>> & { hooks: RealtimeLinkHooks };
  readonly #tracker: ReconnectTracker;
  #ws: WebSocketLike | undefined;
  #running = false;
  #state: ChannelState = 'stopped';
  #machineTimer: TimerId | undefined;
  #retryTimer: TimerId | undefined;
  #connectTimer: TimerId | undefined;
  #drainTimer: TimerId | undefined;
  #ticketAbort: AbortController | undefined;
  #lastError: ParleyError | undefined;

  constructor(options: RealtimeLinkOptions) {
    this.#o = { stableAfterMs: 10_000, connectTimeoutMs: 15_000, maxBufferedBytes: 1024 * 1024, ...options };
    this.#tracker = new ReconnectTracker(options.policy, { stableAfterMs: this.#o.stableAfterMs });
  }

  get state(): ChannelState {
    return this.#state;
  }

  /** Connects (if not already) and keeps reconnecting until {@link stop}. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tracker.reset();
    void this.#connect();
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    this.#running = false;
    this.#ticketAbort?.abort(ParleyError.aborted('realtime stopped'));
    for (const t of [this.#retryTimer, this.#connectTimer, this.#machineTimer, this.#drainTimer]) {
      if (t !== undefined) this.#o.timers.clear(t);
    }
    this.#retryTimer = this.#connectTimer = this.#machineTimer = this.#drainTimer = undefined;
    const ws = this.#ws;
    if (ws) {
      this.#detach(ws);
      ws.close(1000, 'client stopped');
      this.#o.machine.handleClose(this.#o.clock.now(), 1000, 'client stopped');
      this.#drainEvents();
    }
    this.#setState('stopped');
  }

  /** Connects now instead of waiting out the backoff (e.g. the browser said it is online again). */
  reconnectNow(): void {
    if (!this.#running || this.#ws || this.#ticketAbort) return;
    if (this.#retryTimer !== undefined) this.#o.timers.clear(this.#retryTimer);
    this.#retryTimer = undefined;
    void this.#connect();
  }

  /** Sends what the machine queued and arms its next deadline; call after acting on the machine. */
  pump(): void {
    const m = this.#o.machine;
    const now = (): number => this.#o.clock.now();
    for (;;) {
      const ws = this.#ws;
      if (ws && ws.readyState === WS_OPEN && ws.bufferedAmount > this.#o.maxBufferedBytes) {
        // The socket is not draining: leave the bytes in the machine (it bounds them) and look again soon.
        this.#drainTimer ??= this.#o.timers.set(() => {
          this.#drainTimer = undefined;
          this.pump();
        }, 50);
        break;
      }
      const t = m.pollTransmit();
      if (!t) break;
      if ('bytes' in t) {
        if (ws && ws.readyState === WS_OPEN) ws.send(t.bytes);
      } else if (ws) {
        // A dead server or a protocol error: close and move on without waiting for the handshake.
        this.#detach(ws);
        ws.close(t.close.code, t.close.reason);
        m.handleClose(now(), t.close.code, t.close.reason);
        this.#lost(new ParleyError(String(t.close.code), t.close.reason));
      }
    }
    this.#drainEvents();
    if (this.#machineTimer !== undefined) this.#o.timers.clear(this.#machineTimer);
    this.#machineTimer = undefined;
    const at = m.pollTimeout();
    if (at !== undefined && this.#running) {
      this.#machineTimer = this.#o.timers.set(
        () => {
          this.#machineTimer = undefined;
          m.handleTimeout(now());
          this.pump();
        },
        Math.max(0, at - now()),
      );
    }
  }

  async #connect(): Promise<void> {
    this.#setState('connecting');
    const ac = new AbortController();
    this.#ticketAbort = ac;
    let ticket: string;
    try {
      ticket = (await this.#o.api.realtimeTicket({ signal: ac.signal })).ticket;
    } catch (thrown) {
      if (!this.#running || ac.signal.aborted) return;
      const error = isParleyError(thrown) ? thrown : ParleyError.network(String(thrown), thrown);
      if (error.httpStatus === 401) {
        this.#running = false;
        this.#setState('stopped');
        this.#o.hooks.unauthorized(error);
        return;
      }
      this.#lost(error);
      return;
    } finally {
      if (this.#ticketAbort === ac) this.#ticketAbort = undefined;
    }
    if (!this.#running) return;
    let ws: WebSocketLike;
    try {
      ws = this.#o.webSocket(this.#o.api.realtimeUrl(ticket));
    } catch (thrown) {
      this.#lost(ParleyError.network(`Cannot open the realtime socket: ${String(thrown)}`, thrown));
      return;
    }
    this.#ws = ws;
    this.#lastError = undefined;
    this.#connectTimer = this.#o.timers.set(() => {
      this.#connectTimer = undefined;
      if (this.#ws !== ws || ws.readyState === WS_OPEN) return;
      this.#detach(ws);
      ws.close();
      this.#lost(ParleyError.network('The realtime socket did not open in time'));
    }, this.#o.connectTimeoutMs);
    ws.onopen = () => {
      if (this.#connectTimer !== undefined) this.#o.timers.clear(this.#connectTimer);
      this.#connectTimer = undefined;
      this.#tracker.opened(this.#o.clock.now());
      this.#o.machine.handleOpen(this.#o.clock.now());
      this.pump();
    };
    ws.onmessage = (e) => {
      const data = e.data;
      if (data instanceof ArrayBuffer)
        this.#o.machine.handleMessage(new Uint8Array(data), this.#o.clock.now());
      else if (data instanceof Uint8Array) this.#o.machine.handleMessage(data, this.#o.clock.now());
      else this.#o.hooks.warning(ParleyError.protocol('The realtime channel sent a text message; ignored'));
      this.pump();
    };
    ws.onerror = () => {
      this.#lastError = ParleyError.network('The realtime socket failed');
    };
    ws.onclose = (e) => {
      this.#detach(ws);
      this.#o.machine.handleClose(this.#o.clock.now(), e.code, e.reason);
      this.#lost(
        this.#lastError ?? new ParleyError(String(e.code), e.reason || 'The realtime socket closed'),
      );
    };
  }

  /** The socket (or the attempt to get one) ended: report and schedule the next attempt. */
  #lost(error: ParleyError): void {
    this.#drainEvents();
    if (!this.#running) return;
    this.#o.hooks.warning(error);
    const delay = this.#tracker.down(this.#o.clock.now(), error);
    if (delay === null) {
      this.#running = false;
      this.#setState('stopped');
      return;
    }
    this.#setState('waiting');
    this.#retryTimer = this.#o.timers.set(() => {
      this.#retryTimer = undefined;
      if (this.#running) void this.#connect();
    }, delay);
  }

  #detach(ws: WebSocketLike): void {
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    if (this.#ws === ws) this.#ws = undefined;
    if (this.#connectTimer !== undefined) this.#o.timers.clear(this.#connectTimer);
    this.#connectTimer = undefined;
  }

  #drainEvents(): void {
    for (let e = this.#o.machine.poll(); e !== undefined; e = this.#o.machine.poll()) {
      if (e.type === 'hello') this.#setState('open');
      this.#o.hooks.event(e);
    }
  }

  #setState(state: ChannelState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#o.hooks.state(state);
  }
}
