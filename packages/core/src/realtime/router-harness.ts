/**
 * A test harness around {@link RealtimeRouter}: numbered connections, encoded client commands in,
 * decoded server commands out per connection, and a virtual clock that fires the router's
 * deadlines in order. Used by the router's tests and the presence benchmark; not exported.
 *
 * @internal
 * @packageDocumentation
 */

import { FakeClock } from '../testing/fake-clock.js';
import type { ClientCommand, ServerCommand } from './commands.js';
import { decodeServerCommands } from './decode.js';
import { encodeClientCommands } from './encode.js';
import { type HandleHex, handleFromBigInt } from './handle.js';
import { OP_HELLO, REALTIME_CLIENT_VERSION } from './opcodes.js';
import { RealtimeRouter } from './router.js';
import type { RealtimeRouterOptions } from './router-options.js';

/** The handle of user or room number `n` (tests name them by small numbers). */
export function h(n: number): HandleHex {
  return handleFromBigInt(BigInt(n));
}

/** @internal */
export class RouterHarness {
  readonly clock: FakeClock;
  readonly router: RealtimeRouter;
  readonly received = new Map<number, ServerCommand[]>();
  readonly closed = new Map<number, { code: number; reason: string }>();
  /** Binary messages sent per connection (to check batching). */
  readonly messages = new Map<number, number>();
  readonly #gone = new Set<number>();
  #nextConn = 1;

  constructor(options: Partial<RealtimeRouterOptions> = {}, start = 0) {
    this.clock = new FakeClock(start);
    this.router = new RealtimeRouter(options);
  }

  get now(): number {
    return this.clock.now();
  }

  /** Opens a connection for `user` without HELLO. */
  connect(user: HandleHex): number {
    const id = this.#nextConn++;
    this.router.connect(id, user, this.now);
    this.drain();
    return id;
  }

  /** Opens a connection and logs it in with `presence` (a raw presence byte). */
  login(user: HandleHex, presence = 3): number {
    const id = this.connect(user);
    this.send(id, { op: OP_HELLO, clientVersion: REALTIME_CLIENT_VERSION, presence });
    return id;
  }

  send(connId: number, ...commands: ClientCommand[]): void {
    this.sendRaw(connId, encodeClientCommands(commands));
  }

  sendRaw(connId: number, bytes: Uint8Array): void {
    this.router.handleMessage(connId, bytes, this.now);
    this.drain();
  }

  disconnect(connId: number): void {
    this.drain();
    this.#gone.add(connId);
    this.router.disconnect(connId, this.now);
    this.drain();
  }

  /** Moves the clock forward, firing the router's deadlines on the way. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (let t = this.router.pollTimeout(); t !== undefined && t <= target; t = this.router.pollTimeout()) {
      if (t > this.now) this.clock.advance(t - this.now);
      this.router.handleTimeout(this.now);
      this.drain();
    }
    this.clock.advance(target - this.now);
  }

  /** Takes every output of the router; throws if the router sent bytes a client could not decode. */
  drain(): void {
    for (let out = this.router.poll(); out !== undefined; out = this.router.poll()) {
      if ('close' in out) {
        if (this.closed.has(out.connId)) throw new Error(`connection ${out.connId} closed twice`);
        this.closed.set(out.connId, out.close);
        continue;
      }
      if (this.closed.has(out.connId) || this.#gone.has(out.connId)) {
        throw new Error(`bytes for connection ${out.connId} after its close`);
      }
      const decoded = decodeServerCommands(out.bytes);
      if (!decoded.ok) throw decoded.error;
      this.messages.set(out.connId, (this.messages.get(out.connId) ?? 0) + 1);
      const list = this.received.get(out.connId) ?? [];
      list.push(...decoded.commands);
      this.received.set(out.connId, list);
    }
  }

  /** Returns and forgets what `connId` received so far. */
  take(connId: number): ServerCommand[] {
    const list = this.received.get(connId) ?? [];
    this.received.delete(connId);
    return list.map((c) => ('data' in c ? { ...c, data: Uint8Array.from(c.data) } : c));
  }

  /** Forgets everything received so far, on every connection. */
  clear(): void {
    this.received.clear();
  }
}
