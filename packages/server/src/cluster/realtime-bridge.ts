import type { Clock, RealtimeClusterEvent, RealtimeForwardedRtmsg } from '@parley/core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type BusNotice, type ClusterKeys, encodeNotice, encodeRtmsg, slotOf } from './cluster-wire.js';
import type { RealtimeLink } from './fanout.js';
import { InstanceLease } from './instance-lease.js';

/** The hash field holding the sequence number of an instance's last connection notice. */
const SEQ_FIELD = 'seq';

/** A notice about one connection of another instance. */
export type ConnNotice = Extract<BusNotice, { t: 'conn' | 'gone' | 'call' }>;

interface OriginState {
  /** Sequence number of the last notice applied. */
  seq: number;
  /** Client ids of its connections this router was told of. */
  readonly conns: Set<number>;
}

/** What a {@link RealtimeBridge} works with. */
export interface RealtimeBridgeDeps {
  redis: Redis;
  keys: ClusterKeys;
  origin: string;
  /** The TTL of the connection records (the lease's). */
  ttlMs: number;
  clock: Clock;
  logger: Logger;
}

/**
 * The realtime channel across instances. Outgoing: the router's `pollCluster()` events become
 * Redis records and notices (each connection's presence in the instance's hash
 * `conns:<origin>`, whose TTL the lease refreshes, plus a notice on the bus) and RTMSG for other
 * instances' connections goes to their own channels. Incoming: other instances' notices and
 * RTMSG go into the router.
 *
 * Each instance numbers its connection notices (`q`) and stores the number with its records in
 * the same transaction. A receiver that sees a gap, or whose Redis connection was lost, reads
 * every instance's records again ({@link resync}), holding back notices meanwhile and applying
 * afterwards only those newer than the records it read: so a notice racing the read can neither
 * be lost nor bring a closed connection back.
 */
export class RealtimeBridge {
  readonly #d: RealtimeBridgeDeps;
  #link: RealtimeLink | undefined;
  readonly #origins = new Map<string, OriginState>();
  /** This instance's live connections: client id -> record value, for republishing. */
  readonly #own = new Map<number, string>();
  #seq = 0;
  /** Notices held back while a resync reads the records, or `undefined`. */
  #held: ConnNotice[] | undefined;
  #resyncAgain = false;
  /** The origins the last resync found holding their lease. */
  #alive: Set<string> | undefined;
  #flushScheduled = false;

  constructor(deps: RealtimeBridgeDeps) {
    this.#d = deps;
  }

  attach(link: RealtimeLink): void {
    this.#link = link;
  }

  /** Origins of other instances known to hold connections. */
  get origins(): string[] {
    return [...this.#origins.keys()];
  }

  /** Publishes one event of this instance's router. */
  publish(e: RealtimeClusterEvent): void {
    const { redis, keys, origin } = this.#d;
    const fail = (err: unknown) => this.#d.logger.debug({ err, type: e.type }, 'cluster: publish failed');
    if (e.type === 'rtmsg') {
      const bytes = encodeRtmsg(e);
      for (const o of e.origins) redis.publish(keys.rtmsg(o), bytes).catch(fail);
      return;
    }
    const q = ++this.#seq;
    const m = redis.multi();
    let notice: ConnNotice;
    if (e.type === 'conn') {
      const value = `${e.user},${e.presence},${e.idle ? 1 : 0}`;
      this.#own.set(e.clientId, value);
      m.hset(keys.conns(origin), String(e.clientId), value);
      notice = { t: 'conn', o: origin, c: e.clientId, u: e.user, p: e.presence, i: e.idle ? 1 : 0, q };
    } else if (e.type === 'gone') {
      this.#own.delete(e.clientId);
      m.hdel(keys.conns(origin), String(e.clientId));
      notice = { t: 'gone', o: origin, c: e.clientId, q };
    } else {
      notice = { t: 'call', o: origin, c: e.clientId, r: e.room, s: e.status, q };
    }
    // The TTL again: a hash emptied and created anew has none until the next lease refresh.
    m.hset(keys.conns(origin), SEQ_FIELD, String(q)).pexpire(keys.conns(origin), this.#d.ttlMs);
    m.publish(keys.bus, encodeNotice(notice)).exec().catch(fail);
  }

  /** A connection notice of another instance. */
  apply(n: ConnNotice): void {
    if (this.#held !== undefined) {
      this.#held.push(n);
      return;
    }
    const state = this.#state(n.o);
    if (n.q <= state.seq) return; // already in what we read
    if (n.q > state.seq + 1) {
      // A notice went missing (Redis dropped us meanwhile): read everything again.
      void this.resync([n]);
      return;
    }
    state.seq = n.q;
    this.#applyOne(n, state);
    this.#scheduleFlush();
  }

  /** An RTMSG of another instance for this instance's connections. */
  deliver(m: RealtimeForwardedRtmsg): void {
    const router = this.#link?.router;
    if (router === undefined) return;
    router.cluster.deliver(m);
    this.#scheduleFlush();
  }

  /** Instance `origin` is gone (it said goodbye, or its lease ran out). */
  dropOrigin(origin: string): void {
    const router = this.#link?.router;
    if (!this.#origins.delete(origin) || router === undefined) return;
    router.cluster.removeOrigin(origin, this.#d.clock.now());
    this.#scheduleFlush();
  }

  /**
   * An instance started, or took its lease again after losing it: any older incarnation of its
   * slot is gone, and its records are read (they were rewritten, and may have been dropped here
   * meanwhile).
   */
  onHello(origin: string): void {
    for (const o of this.#origins.keys())
      if (o !== origin && slotOf(o) === slotOf(origin)) this.dropOrigin(o);
    void this.resync();
  }

  /**
   * Reads every live instance's connection records and makes the router agree with them, then
   * applies the notices that arrived meanwhile (and `held`) that are newer. Drops instances whose
   * lease is gone.
   */
  async resync(held: ConnNotice[] = []): Promise<void> {
    if (this.#held !== undefined) {
      this.#held.push(...held);
      this.#resyncAgain = true;
      return;
    }
    this.#held = held;
    try {
      do {
        this.#resyncAgain = false;
        await this.#readAll();
      } while (this.#resyncAgain);
    } catch (err) {
      this.#d.logger.warn({ err }, "cluster: reading the other instances' connections failed");
    } finally {
      const held = this.#held ?? [];
      this.#held = undefined;
      // An origin without its lease is gone (it will say hello when it has one again).
      for (const n of held) if (this.#alive?.has(n.o) ?? true) this.apply(n);
      this.#scheduleFlush();
    }
  }

  /** Drops the instances among those known whose lease has run out (a crash). */
  async checkOrigins(): Promise<void> {
    const known = this.origins;
    const alive = await InstanceLease.alive(this.#d.redis, this.#d.keys, known);
    for (const o of known) {
      if (alive.has(o)) continue;
      this.#d.logger.info({ origin: o }, "cluster: an instance's lease ran out; its connections are gone");
      this.dropOrigin(o);
      const { redis, keys } = this.#d;
      redis
        .multi()
        .srem(keys.instances, o)
        .del(keys.conns(o))
        .exec()
        .catch(() => {});
    }
  }

  /** Writes every record of this instance again (after its lease had to be taken anew). */
  async republish(): Promise<void> {
    const { redis, keys, origin } = this.#d;
    const m = redis.multi().del(keys.conns(origin));
    for (const [c, v] of this.#own) m.hset(keys.conns(origin), String(c), v);
    m.hset(keys.conns(origin), SEQ_FIELD, String(this.#seq)).pexpire(keys.conns(origin), this.#d.ttlMs);
    await m.exec();
  }

  async #readAll(): Promise<void> {
    const { redis, keys, origin } = this.#d;
    const members = (await redis.smembers(keys.instances)).filter((o) => o !== origin);
    const alive = await InstanceLease.alive(redis, keys, members);
    this.#alive = alive;
    for (const o of this.origins) if (!alive.has(o)) this.dropOrigin(o);
    const dead = members.filter((o) => !alive.has(o));
    if (dead.length > 0) await redis.srem(keys.instances, ...dead);
    const router = this.#link?.router;
    for (const o of alive) {
      const record = await redis.hgetall(keys.conns(o));
      if (router === undefined) continue;
      const state = this.#state(o);
      state.seq = Number(record[SEQ_FIELD] ?? 0);
      const now = this.#d.clock.now();
      const seen = new Set<number>();
      for (const [field, value] of Object.entries(record)) {
        if (field === SEQ_FIELD) continue;
        const [user, presence, idle] = value.split(',');
        const c = Number(field);
        seen.add(c);
        state.conns.add(c);
        router.cluster.upsert(
          { origin: o, clientId: c, user: user!, presence: Number(presence), idle: idle === '1' },
          now,
        );
      }
      for (const c of [...state.conns]) {
        if (seen.has(c)) continue;
        state.conns.delete(c);
        router.cluster.remove(c, now);
      }
    }
  }

  #applyOne(n: ConnNotice, state: OriginState): void {
    const router = this.#link?.router;
    if (router === undefined) return;
    const now = this.#d.clock.now();
    try {
      if (n.t === 'conn') {
        state.conns.add(n.c);
        router.cluster.upsert({ origin: n.o, clientId: n.c, user: n.u, presence: n.p, idle: n.i === 1 }, now);
      } else if (n.t === 'gone') {
        state.conns.delete(n.c);
        router.cluster.remove(n.c, now);
      } else {
        router.cluster.inCall(n.c, n.r, n.s, now);
      }
    } catch (err) {
      this.#d.logger.warn({ err, notice: n.t, origin: n.o }, 'cluster: a realtime notice was refused');
    }
  }

  #state(origin: string): OriginState {
    let s = this.#origins.get(origin);
    if (s === undefined) {
      s = { seq: 0, conns: new Set() };
      this.#origins.set(origin, s);
    }
    return s;
  }

  // One flush per event-loop turn, whatever number of notices the turn brought.
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#link?.flush();
    });
  }
}
