/**
 * The client side of the realtime channel, sans-IO: the adapter reports the socket opening,
 * messages, closing and the time; it takes out bytes to send ({@link RealtimeClient.pollTransmit}),
 * events ({@link RealtimeClient.poll}) and the next deadline ({@link RealtimeClient.pollTimeout}).
 * One instance lives across reconnects, so the user's presence choice and ongoing calls survive.
 *
 * @packageDocumentation
 */

import { ParleyError } from '../errors.js';
import type { RealtimeClientEvent, RealtimeClientState, RealtimeClientTransmit } from './client-events.js';
import {
  type RealtimeClientOptions,
  type RealtimeSendOptions,
  resolveClientOptions,
} from './client-options.js';
import type { ClientCommand, ServerCommand } from './commands.js';
import { decodeServerCommands, realtimeOpName } from './decode.js';
import { encodeClientCommand } from './encode.js';
import { type HandleHex, ZERO_HANDLE } from './handle.js';
import {
  OP_HELLO,
  OP_IN_CALL,
  OP_KEEPALIVE,
  OP_PRES,
  OP_REJECT,
  OP_RTMSG,
  OP_SETPRES,
  PRESENCE_IDLE_FLAG,
  RealtimeCloseCode,
} from './opcodes.js';

/** The realtime channel's client state machine (HELLO, presence, idle timer, in-call heartbeats, keepalive). */
export class RealtimeClient {
  readonly options: Readonly<RealtimeClientOptions>;
  #state: RealtimeClientState = 'disconnected';
  #clientId = 0;
  #ownPresence = 0;
  #ready = false;
  readonly #presence = new Map<HandleHex, number>();
  readonly #inCallFlags = new Map<HandleHex, boolean>();
  #events: RealtimeClientEvent[] = [];
  #eventHead = 0;
  #out: Uint8Array[] = [];
  #outBytes = 0;
  #close: { code: number; reason: string } | null = null;
  // The user's choice and the idle timer.
  #userPresence: number;
  #lastActivity: number | undefined;
  #idle = false;
  #lowered = false;
  // Calls the app is in: room -> next heartbeat.
  readonly #calls = new Map<HandleHex, number>();
  // Keepalive bookkeeping.
  #lastSent = 0;
  #lastReceived = 0;
  #waitingSince: number | null = null;

  constructor(options: Partial<RealtimeClientOptions> = {}) {
    this.options = resolveClientOptions(options);
    this.#userPresence = this.options.presence;
  }

  /** Where the connection is. */
  get state(): RealtimeClientState {
    return this.#state;
  }

  /** This connection's client id (0 until the server's `OP_HELLO`). */
  get clientId(): number {
    return this.#clientId;
  }

  /** Our merged presence as the server last told us (0 before login): never what we asked for. */
  get ownPresence(): number {
    return this.#ownPresence;
  }

  /** The presence the user chose (what activity restores after the idle timer). */
  get userPresence(): number {
    return this.#userPresence;
  }

  /** True while the idle timer considers the user inactive. */
  get idle(): boolean {
    return this.#idle;
  }

  /** `user`'s presence as last told by the server (0 when unknown, offline or not visible). */
  presenceOf(user: HandleHex): number {
    return this.#presence.get(user) ?? 0;
  }

  /** Every user with a non-zero presence. */
  presences(): ReadonlyMap<HandleHex, number> {
    return this.#presence;
  }

  /** `room`'s in-call flag as last told by the server. */
  inCallFlag(room: HandleHex): boolean {
    return this.#inCallFlags.get(room) ?? false;
  }

  /** The socket opened: sends `OP_HELLO` and resumes the heartbeats of ongoing calls. */
  handleOpen(now: number): void {
    if (this.#state !== 'disconnected') {
      throw new ParleyError('invalid_state', `handleOpen while ${this.#state}`);
    }
    this.#state = 'hello_sent';
    this.#lastActivity ??= now;
    this.#lastReceived = now;
    const presence = this.#lowered ? this.options.idlePresence | PRESENCE_IDLE_FLAG : this.#userPresence;
    this.#queue({ op: OP_HELLO, clientVersion: this.options.clientVersion, presence }, now);
    this.#waitingSince = now;
    for (const room of this.#calls.keys()) this.#beat(room, now);
  }

  /** The socket closed (either side, any reason). Forgets what the server told us. */
  handleClose(now: number, code?: number, reason?: string): void {
    void now;
    if (this.#state === 'disconnected') return;
    this.#state = 'disconnected';
    this.#clientId = 0;
    this.#ready = false;
    this.#ownPresence = 0;
    this.#presence.clear();
    this.#inCallFlags.clear();
    this.#out = [];
    this.#outBytes = 0;
    this.#close = null;
    this.#waitingSince = null;
    this.#events.push({ type: 'closed', code, reason });
  }

  /** One binary message from the server. */
  handleMessage(bytes: Uint8Array, now: number): void {
    if (this.#state !== 'hello_sent' && this.#state !== 'logged_in') return;
    this.#lastReceived = now;
    this.#waitingSince = null;
    const decoded = decodeServerCommands(bytes);
    if (!decoded.ok) {
      this.#fail(decoded.error, decoded.error.closeReason);
      return;
    }
    for (const cmd of decoded.commands) {
      if (this.#state !== 'hello_sent' && this.#state !== 'logged_in') return;
      this.#apply(cmd);
    }
  }

  /** Fires what is due at `now`: keepalive, dead-server detection, in-call heartbeats, the idle timer. */
  handleTimeout(now: number): void {
    const o = this.options;
    if (
      !this.#idle &&
      o.idleAfterMs > 0 &&
      this.#lastActivity !== undefined &&
      now >= this.#lastActivity + o.idleAfterMs
    ) {
      this.#idle = true;
      if (o.idlePresence < this.#userPresence) {
        this.#lowered = true;
        if (this.#connected)
          this.#queue({ op: OP_SETPRES, presence: o.idlePresence | PRESENCE_IDLE_FLAG }, now);
      }
    }
    if (!this.#connected) return;
    if (this.#waitingSince !== null && now >= this.#waitingSince + o.keepaliveTimeoutMs) {
      this.#state = 'closing';
      this.#close = { code: RealtimeCloseCode.GOING_AWAY, reason: 'server not answering' };
      this.#events.push({ type: 'dead' });
      return;
    }
    for (const [room, at] of this.#calls) if (now >= at) this.#beat(room, now);
    if (
      this.#waitingSince === null &&
      now >= Math.min(this.#lastSent, this.#lastReceived) + o.keepaliveIntervalMs
    ) {
      this.#queue({ op: OP_KEEPALIVE }, now);
      this.#waitingSince = now;
    }
  }

  /** When {@link handleTimeout} should next be called, or `undefined`. */
  pollTimeout(): number | undefined {
    const o = this.options;
    let next = Number.POSITIVE_INFINITY;
    if (!this.#idle && o.idleAfterMs > 0 && this.#lastActivity !== undefined)
      next = this.#lastActivity + o.idleAfterMs;
    if (this.#connected) {
      next = Math.min(
        next,
        this.#waitingSince !== null
          ? this.#waitingSince + o.keepaliveTimeoutMs
          : Math.min(this.#lastSent, this.#lastReceived) + o.keepaliveIntervalMs,
      );
      for (const at of this.#calls.values()) next = Math.min(next, at);
    }
    return next === Number.POSITIVE_INFINITY ? undefined : next;
  }

  /** The next thing to do on the socket: one binary message with every queued command, or a close. */
  pollTransmit(): RealtimeClientTransmit | undefined {
    if (this.#out.length > 0) {
      const chunks = this.#out;
      this.#out = [];
      this.#outBytes = 0;
      if (chunks.length === 1) return { bytes: chunks[0]! };
      const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.length;
      }
      return { bytes };
    }
    if (this.#close !== null) {
      const close = this.#close;
      this.#close = null;
      return { close };
    }
    return undefined;
  }

  /** The next event, or `undefined`. */
  poll(): RealtimeClientEvent | undefined {
    const e = this.#events[this.#eventHead];
    if (e === undefined) return undefined;
    this.#eventHead++;
    if (this.#eventHead === this.#events.length) {
      this.#events = [];
      this.#eventHead = 0;
    }
    return e;
  }

  /** The user chose a presence (0 = invisible). Counts as activity. */
  setPresence(presence: number, now: number): void {
    if (!Number.isInteger(presence) || presence < 0 || presence > 127) {
      throw new ParleyError('invalid_argument', `presence must be an integer 0 .. 127, got ${presence}`);
    }
    this.#userPresence = presence;
    this.#lastActivity = now;
    this.#idle = false;
    this.#lowered = false;
    if (this.#connected) this.#queue({ op: OP_SETPRES, presence }, now);
  }

  /** The user did something: restarts the idle timer and, if it had lowered presence, restores the user's value. */
  activity(now: number): void {
    this.#lastActivity = now;
    this.#idle = false;
    if (!this.#lowered) return;
    this.#lowered = false;
    if (this.#connected) this.#queue({ op: OP_SETPRES, presence: this.#userPresence }, now);
  }

  /** The app joined (true) or left (false) the call in `room`; heartbeats run while in it, across reconnects. */
  setInCall(room: HandleHex, inCall: boolean, now: number): void {
    if (inCall) {
      if (this.#calls.has(room)) return;
      encodeClientCommand({ op: OP_IN_CALL, room, status: 1 }); // validates the handle before storing it
      this.#calls.set(room, now + this.options.heartbeatIntervalMs);
      if (this.#connected) this.#beat(room, now);
    } else if (this.#calls.delete(room) && this.#connected) {
      this.#queue({ op: OP_IN_CALL, room, status: 0 }, now);
    }
  }

  /** Sends a realtime message. Throws `not_connected`, `invalid_argument` or `queue_full` (a `ParleyError`). */
  sendRtmsg(message: RealtimeSendOptions, now: number): void {
    if (!this.#connected) throw new ParleyError('not_connected', 'the realtime channel is not connected');
    if (!(message.data instanceof Uint8Array) || message.data.length > this.options.maxRtmsgBytes) {
      throw new ParleyError(
        'invalid_argument',
        `RTMSG data must be a Uint8Array of at most ${this.options.maxRtmsgBytes} bytes`,
      );
    }
    const bytes = encodeClientCommand({
      op: OP_RTMSG,
      room: message.room,
      receiverUser: message.user ?? ZERO_HANDLE,
      receiverClient: message.client ?? 0,
      msgtype: message.msgtype,
      data: message.data,
    });
    if (this.#outBytes + bytes.length > this.options.maxQueuedBytes) {
      throw new ParleyError('queue_full', `more than ${this.options.maxQueuedBytes} bytes wait to be sent`);
    }
    this.#push(bytes, now);
  }

  get #connected(): boolean {
    return this.#state === 'hello_sent' || this.#state === 'logged_in';
  }

  #queue(cmd: ClientCommand, now: number): void {
    this.#push(encodeClientCommand(cmd), now);
  }

  #push(bytes: Uint8Array, now: number): void {
    this.#out.push(bytes);
    this.#outBytes += bytes.length;
    this.#lastSent = now;
  }

  #beat(room: HandleHex, now: number): void {
    this.#queue({ op: OP_IN_CALL, room, status: 1 }, now);
    this.#calls.set(room, now + this.options.heartbeatIntervalMs);
  }

  #fail(error: ParleyError, reason: string): void {
    this.#state = 'closing';
    this.#out = [];
    this.#outBytes = 0;
    this.#close = { code: RealtimeCloseCode.PROTOCOL_ERROR, reason };
    this.#events.push({ type: 'error', error });
  }

  #apply(cmd: ServerCommand): void {
    if (this.#state === 'hello_sent' && cmd.op !== OP_HELLO) {
      this.#fail(
        ParleyError.protocol(`${realtimeOpName(cmd.op)} before OP_HELLO`),
        'command before OP_HELLO',
      );
      return;
    }
    switch (cmd.op) {
      case OP_HELLO:
        if (this.#state === 'logged_in') {
          this.#fail(ParleyError.protocol('second OP_HELLO from the server'), 'second OP_HELLO');
          return;
        }
        this.#state = 'logged_in';
        this.#clientId = cmd.clientId;
        this.#events.push({ type: 'hello', clientId: cmd.clientId });
        return;
      case OP_KEEPALIVE:
        return;
      case OP_PRES:
        if (cmd.user === ZERO_HANDLE) {
          this.#ownPresence = cmd.presence;
          this.#events.push({ type: 'own_presence', presence: cmd.presence });
          if (!this.#ready) {
            this.#ready = true;
            this.#events.push({ type: 'ready' });
          }
        } else if ((this.#presence.get(cmd.user) ?? 0) !== cmd.presence) {
          if (cmd.presence === 0) this.#presence.delete(cmd.user);
          else this.#presence.set(cmd.user, cmd.presence);
          this.#events.push({ type: 'presence', user: cmd.user, presence: cmd.presence });
        }
        return;
      case OP_IN_CALL:
        if (cmd.status === 1) this.#inCallFlags.set(cmd.room, true);
        else this.#inCallFlags.delete(cmd.room);
        this.#events.push({ type: 'in_call', room: cmd.room, flag: cmd.status === 1 });
        return;
      case OP_RTMSG: {
        const { room, senderUser, senderClient, msgtype, data } = cmd;
        this.#events.push({ type: 'rtmsg', room, senderUser, senderClient, msgtype, data });
        return;
      }
      case OP_REJECT:
        this.#events.push({ type: 'reject', refusedOp: cmd.refusedOp, room: cmd.room, code: cmd.code });
        return;
    }
  }
}
