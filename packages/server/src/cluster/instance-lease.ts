import type { Random } from '@parley/core';
import type { Redis } from 'ioredis';
import { type ClusterKeys, slotOf } from './cluster-wire.js';

/** Instance slots: 10 bits of a client id, 1..1023 (0 is never used, so no client id is 0). */
export const MAX_SLOTS = 1023;
/** Bits of a client id below the instance slot: 4,194,303 ids per instance between wrap-arounds. */
export const CLIENT_ID_BITS = 22;

// Refreshes the lease and the connection records together, only while the lease is still ours.
const REFRESH = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0`;

// Gives the lease back only if it is still ours.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[1])
  return 1
end
return 0`;

/**
 * An instance's slot in the cluster: a number 1..1023 drawn from a Redis counter and held by a
 * lease key with a TTL (`SET NX PX`), refreshed by the instance. The slot is the high 10 bits of
 * every client id the instance hands out, so client ids are unique across instances without a
 * Redis round trip per connection. A crashed instance's lease runs out, and with it the Redis
 * records of its connections (same TTL). The origin `<slot>.<random>` names one incarnation.
 */
export class InstanceLease {
  readonly slot: number;
  readonly origin: string;
  readonly #redis: Redis;
  readonly #keys: ClusterKeys;
  readonly #ttlMs: number;

  private constructor(redis: Redis, keys: ClusterKeys, slot: number, origin: string, ttlMs: number) {
    this.#redis = redis;
    this.#keys = keys;
    this.slot = slot;
    this.origin = origin;
    this.#ttlMs = ttlMs;
  }

  /**
   * Takes the next free slot (the counter goes round; slots still leased are skipped).
   *
   * @throws when all 1023 slots are leased.
   */
  static async acquire(
    redis: Redis,
    keys: ClusterKeys,
    ttlMs: number,
    random: Random,
  ): Promise<InstanceLease> {
    const incarnation = Buffer.from(random.bytes(6)).toString('hex');
    for (let i = 0; i < MAX_SLOTS; i++) {
      const n = await redis.incr(keys.slotSequence);
      const slot = ((n - 1) % MAX_SLOTS) + 1;
      const origin = `${slot}.${incarnation}`;
      if ((await redis.set(keys.slot(slot), origin, 'PX', ttlMs, 'NX')) === 'OK') {
        // A crashed earlier holder's records expire with its lease; drop them now anyway.
        await redis.multi().del(keys.conns(origin)).sadd(keys.instances, origin).exec();
        return new InstanceLease(redis, keys, slot, origin, ttlMs);
      }
    }
    throw new Error(`no free instance slot: ${MAX_SLOTS} instances hold one`);
  }

  /** The client ids of this instance: `slot × 2^22 + 1 .. (slot + 1) × 2^22 - 1`. */
  get clientIdRange(): { clientIdMin: number; clientIdMax: number } {
    const base = this.slot * 2 ** CLIENT_ID_BITS;
    return { clientIdMin: base + 1, clientIdMax: base + 2 ** CLIENT_ID_BITS - 1 };
  }

  /**
   * Extends the lease (and the connection records). False when it is no longer ours (it ran
   * out: the process stalled longer than the TTL, or Redis lost its data); then {@link retake}.
   */
  async refresh(): Promise<boolean> {
    const r = await this.#redis.eval(
      REFRESH,
      2,
      this.#keys.slot(this.slot),
      this.#keys.conns(this.origin),
      this.origin,
      this.#ttlMs,
    );
    return r === 1;
  }

  /** Takes the same slot again after it ran out; false when another instance holds it now. */
  async retake(): Promise<boolean> {
    const ok = await this.#redis.set(this.#keys.slot(this.slot), this.origin, 'PX', this.#ttlMs, 'NX');
    if (ok !== 'OK') return false;
    await this.#redis.sadd(this.#keys.instances, this.origin);
    return true;
  }

  /** Gives the slot back and deletes this instance's records (a clean stop). */
  async release(): Promise<void> {
    const k = this.#keys;
    await this.#redis.eval(RELEASE, 3, k.slot(this.slot), k.conns(this.origin), k.instances, this.origin);
  }

  /** Which of `origins` still hold their lease. */
  static async alive(redis: Redis, keys: ClusterKeys, origins: readonly string[]): Promise<Set<string>> {
    if (origins.length === 0) return new Set();
    const holders = await redis.mget(origins.map((o) => keys.slot(slotOf(o))));
    return new Set(origins.filter((o, i) => holders[i] === o));
  }
}
