/**
 * Recovery of the fan-out (two instances in this process, a 2 s presence TTL): an instance whose
 * Redis subscriber connection is cut reads the cluster state again when it is back, and when
 * Redis loses every key of the cluster (a restart without persistence), the instances take their
 * slots again and rewrite their records, and presence is right again everywhere.
 */
import { OP_PRES, OP_SETPRES } from '@parley/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyServer } from '../../src/index.js';
import type { TestUser } from '../helpers.js';
import { makeRoom, users } from '../realtime/fixtures.js';
import { onlineRt, type RtClient } from '../realtime/rt-client.js';
import { InProcessCluster, REDIS_TEST_URL, RedisScope } from './cluster-helpers.js';

const scope = new RedisScope();
const cluster = new InProcessCluster(scope);
const redis = new Redis(REDIS_TEST_URL);
let a: ParleyServer;
let b: ParleyServer;
const open: RtClient[] = [];

beforeAll(async () => {
  a = await cluster.start();
  b = await cluster.start();
});
afterAll(async () => {
  for (const c of open) c.close();
  await cluster.stop();
  await redis.quit();
  // The slot counter went with the lost keys (slots were taken again, not drawn anew).
  expect(await scope.cleanup()).toEqual([]);
});

async function online(server: ParleyServer, user: TestUser, presence = 3): Promise<RtClient> {
  const c = await onlineRt(server.url, user, presence);
  open.push(c);
  return c;
}

/** The presence `watcher` was last told for `user`. */
function lastSeen(watcher: RtClient, user: string): number | undefined {
  const p = watcher.ofOp(OP_PRES).filter((c) => c.user === user);
  return p.at(-1)?.presence;
}

async function eventually(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The Redis client ids of the connections named `parley:<prefix><slot>.…:<role>`. */
async function clientIds(slot: number, role: 'sub' | 'cmd'): Promise<string[]> {
  const list = (await redis.call('CLIENT', 'LIST')) as string;
  const name = new RegExp(
    `name=parley:${scope.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${slot}\\.[0-9a-f]+:${role} `,
  );
  return list
    .split('\n')
    .filter((l) => name.test(`${l} `))
    .map((l) => /id=(\d+)/.exec(l)![1]!);
}

describe('fan-out recovery', () => {
  it('reads the other instances again after its subscriber connection was cut', async () => {
    const [xia, wes] = await users(a.url, 'r_xia', 'r_wes');
    await makeRoom(a.url, xia!, [wes!]);
    const watcher = await online(a, wes!);
    const x = await online(b, xia!, 3);
    await eventually(() => lastSeen(watcher, xia!.handle) === 3);
    const [subOfA] = await clientIds(1, 'sub'); // a took slot 1 (a fresh prefix)
    expect(subOfA).toBeDefined();
    await redis.call('CLIENT', 'KILL', 'ID', subOfA!);
    // Published while a's subscriber is away (it reconnects after 200 ms at the earliest): lost.
    x.send({ op: OP_SETPRES, presence: 5 });
    await eventually(async () => (await clientIds(1, 'sub')).some((id) => id !== subOfA));
    await eventually(() => lastSeen(watcher, xia!.handle) === 5);
  });

  it('rebuilds the cluster state after Redis lost every key', async () => {
    const [yan, zoe] = await users(a.url, 'f_yan', 'f_zoe');
    await makeRoom(a.url, yan!, [zoe!]);
    const watcher = await online(a, zoe!);
    await online(b, yan!, 4);
    await eventually(() => lastSeen(watcher, yan!.handle) === 4);
    const leases = [`${scope.prefix}slot:1`, `${scope.prefix}slot:2`];
    const before = await redis.mget(leases);
    const all = await scope.keys();
    await redis.del(...all);
    // Each instance notices at its next lease renewal, takes its slot again and rewrites its records.
    await eventually(async () => (await redis.mget(leases)).every((v, i) => v === before[i]));
    await eventually(async () => {
      const records = Object.values(await redis.hgetall(`${scope.prefix}conns:${before[1]}`));
      return records.some((r) => r.startsWith(`${yan!.handle},4,`));
    });
    // Whatever a saw meanwhile, it ends with yan present again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(lastSeen(watcher, yan!.handle)).toBe(4);
  });
});
