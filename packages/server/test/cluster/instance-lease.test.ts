/**
 * `InstanceLease` against a real Redis: slots drawn in turn, leased slots skipped, the counter
 * going round, every slot taken, renewal, taking the slot again, and giving it back.
 */
import { nodeRandom } from '@parley/transport-node';
import { Redis } from 'ioredis';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ClusterKeys } from '../../src/cluster/cluster-wire.js';
import { CLIENT_ID_BITS, InstanceLease, MAX_SLOTS } from '../../src/cluster/instance-lease.js';
import { REDIS_TEST_URL, RedisScope } from './cluster-helpers.js';

const scope = new RedisScope();
const keys = new ClusterKeys(scope.prefix);
const redis = new Redis(REDIS_TEST_URL);
const acquire = () => InstanceLease.acquire(redis, keys, 10_000, nodeRandom);

beforeEach(async () => {
  const existing = await scope.keys();
  if (existing.length > 0) await redis.del(...existing);
});
afterAll(async () => {
  await redis.quit();
  await scope.cleanup();
});

describe('InstanceLease', () => {
  it('draws slots in turn and gives each its client id range', async () => {
    const first = await acquire();
    const second = await acquire();
    expect([first.slot, second.slot]).toEqual([1, 2]);
    expect(first.origin).toMatch(/^1\.[0-9a-f]{12}$/);
    expect(second.clientIdRange).toEqual({
      clientIdMin: 2 * 2 ** CLIENT_ID_BITS + 1,
      clientIdMax: 3 * 2 ** CLIENT_ID_BITS - 1,
    });
    expect(await redis.get(keys.slot(1))).toBe(first.origin);
    expect(await redis.sismember(keys.instances, second.origin)).toBe(1);
    const ttl = await redis.pttl(keys.slot(2));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(10_000);
  });

  it('skips a slot still leased and goes round after the last slot', async () => {
    await redis.set(keys.slot(3), 'someone', 'PX', 10_000);
    await redis.set(keys.slotSequence, 2);
    expect((await acquire()).slot).toBe(4);
    await redis.set(keys.slotSequence, MAX_SLOTS - 1);
    expect((await acquire()).slot).toBe(MAX_SLOTS);
    expect((await acquire()).slot).toBe(1);
  });

  it('refuses to start when every slot is leased', async () => {
    const m = redis.multi();
    for (let s = 1; s <= MAX_SLOTS; s++) m.set(keys.slot(s), 'someone', 'PX', 10_000);
    await m.exec();
    await expect(acquire()).rejects.toThrow(/no free instance slot: 1023 instances hold one/);
  });

  it('renews, notices a lost lease, takes it again unless another instance holds it, gives it back', async () => {
    const lease = await acquire();
    await redis.hset(keys.conns(lease.origin), '5', 'u,3,0');
    expect(await lease.refresh()).toBe(true);
    expect(await redis.pttl(keys.conns(lease.origin))).toBeGreaterThan(0);
    await redis.del(keys.slot(lease.slot));
    expect(await lease.refresh()).toBe(false);
    expect(await lease.retake()).toBe(true);
    expect(await lease.refresh()).toBe(true);
    await redis.set(keys.slot(lease.slot), 'another', 'PX', 10_000);
    expect(await lease.refresh()).toBe(false);
    expect(await lease.retake()).toBe(false);
    // Giving back a slot that is no longer ours changes nothing.
    await lease.release();
    expect(await redis.get(keys.slot(lease.slot))).toBe('another');
    await redis.del(keys.slot(lease.slot));
    expect(await lease.retake()).toBe(true);
    await lease.release();
    expect(await redis.exists(keys.slot(lease.slot), keys.conns(lease.origin))).toBe(0);
    expect(await redis.sismember(keys.instances, lease.origin)).toBe(0);
    expect(await InstanceLease.alive(redis, keys, [lease.origin])).toEqual(new Set());
  });
});
