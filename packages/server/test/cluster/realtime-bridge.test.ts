/**
 * `RealtimeBridge` against a real Redis, with another instance played by hand (its lease, its
 * records, its notices): reading records and notices that race the read, a gap in an instance's
 * notice numbers, an instance whose lease ran out, and what `publish` writes.
 */
import { RealtimeRouter } from '@parley/core';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ClusterKeys, decodeBusMessage } from '../../src/cluster/cluster-wire.js';
import { type ConnNotice, RealtimeBridge } from '../../src/cluster/realtime-bridge.js';
import { REDIS_TEST_URL, RedisScope } from './cluster-helpers.js';

const scope = new RedisScope();
const keys = new ClusterKeys(scope.prefix);
const redis = new Redis(REDIS_TEST_URL);
const OTHER = '7.aaaa';
const U1 = '00000000000000a1';
const U2 = '00000000000000a2';

afterAll(async () => {
  await redis.quit();
  await scope.cleanup();
});

let router: RealtimeRouter;
let bridge: RealtimeBridge;
beforeEach(async () => {
  const existing = await scope.keys();
  if (existing.length > 0) await redis.del(...existing);
  router = new RealtimeRouter({ cluster: true, clientIdMin: 2 ** 22 + 1, clientIdMax: 2 ** 23 - 1 });
  bridge = new RealtimeBridge({
    redis,
    keys,
    origin: '1.me',
    ttlMs: 10_000,
    clock: { now: () => Date.now() },
    logger: pino({ level: 'silent' }),
  });
  bridge.attach({ router, flush: () => {} });
});

/** The other instance's lease and records as it would write them. */
async function otherInstance(records: Record<number, string>, seq: number): Promise<void> {
  await redis
    .multi()
    .set(keys.slot(7), OTHER, 'PX', 10_000)
    .sadd(keys.instances, OTHER)
    .hset(keys.conns(OTHER), { ...records, seq: String(seq) })
    .exec();
}

const conn = (q: number, c: number, u = U1, p = 3): ConnNotice => ({ t: 'conn', o: OTHER, q, c, u, p, i: 0 });
const gone = (q: number, c: number): ConnNotice => ({ t: 'gone', o: OTHER, q, c });

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
}

describe('RealtimeBridge', () => {
  it('applies after a read only the notices newer than the records it read', async () => {
    await otherInstance({ 100: `${U1},3,0`, 101: `${U2},4,0` }, 4);
    const reading = bridge.resync();
    // While the read is in flight: an old notice (already in the records) and a newer close.
    bridge.apply(conn(3, 102)); // q 3 <= 4: already reflected (102 is not in the records: closed since)
    bridge.apply(gone(5, 100)); // q 5 > 4: after the read
    await reading;
    expect(router.cluster.remote(100)).toBeUndefined();
    expect(router.cluster.remote(102)).toBeUndefined();
    expect(router.cluster.remote(101)).toMatchObject({ origin: OTHER, user: U2, presence: 4 });
    expect(router.presenceOf(U2)).toBe(4);
    expect(router.presenceOf(U1)).toBe(0);
  });

  it('reads everything again when a notice number is skipped', async () => {
    await otherInstance({ 100: `${U1},3,0` }, 1);
    await bridge.resync();
    bridge.apply(conn(2, 101, U2));
    expect(router.cluster.remote(101)).toBeDefined();
    // Notices 3 and 4 were lost (Redis dropped us); the records hold their effect.
    await redis.hset(keys.conns(OTHER), { 103: `${U2},5,0`, seq: '5' });
    await redis.hdel(keys.conns(OTHER), '100');
    bridge.apply(conn(5, 103, U2, 5));
    await eventually(
      () => router.cluster.remote(100) === undefined && router.cluster.remote(103) !== undefined,
    );
    expect(router.presenceOf(U2)).toBe(5);
  });

  it('drops an instance whose lease ran out, and its records', async () => {
    await otherInstance({ 100: `${U1},3,0` }, 1);
    await bridge.resync();
    expect(router.presenceOf(U1)).toBe(3);
    await bridge.checkOrigins();
    expect(router.presenceOf(U1)).toBe(3); // still leased
    await redis.del(keys.slot(7));
    await bridge.checkOrigins();
    expect(router.presenceOf(U1)).toBe(0);
    expect(router.cluster.remoteCount).toBe(0);
    await eventually(() => true);
    expect(await redis.exists(keys.conns(OTHER))).toBe(0);
    expect(await redis.sismember(keys.instances, OTHER)).toBe(0);
  });

  it('publishes numbered notices and keeps its records with a TTL', async () => {
    const sub = new Redis(REDIS_TEST_URL);
    const got: unknown[] = [];
    sub.on('messageBuffer', (_c: Buffer, m: Buffer) => got.push(decodeBusMessage(m)));
    await sub.subscribe(keys.bus);
    bridge.publish({ type: 'conn', clientId: 2 ** 22 + 1, user: U1, presence: 3, idle: false });
    bridge.publish({ type: 'in_call', clientId: 2 ** 22 + 1, room: U2, status: 1 });
    bridge.publish({ type: 'gone', clientId: 2 ** 22 + 1 });
    await eventually(() => got.length === 3);
    expect(got.map((x) => (x as { notice: { t: string; q: number } }).notice)).toMatchObject([
      { t: 'conn', q: 1, o: '1.me' },
      { t: 'call', q: 2 },
      { t: 'gone', q: 3 },
    ]);
    expect(await redis.hgetall(keys.conns('1.me'))).toEqual({ seq: '3' });
    expect(await redis.pttl(keys.conns('1.me'))).toBeGreaterThan(0);
    await sub.quit();
  });
});
