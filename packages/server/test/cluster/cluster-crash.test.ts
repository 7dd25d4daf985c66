/**
 * Crash safety with `parley serve` processes from the build.
 *
 * Two instances on one PostgreSQL schema and one Redis take write load (room messages and
 * to-device sends) on both; one is killed with SIGKILL in the middle. Every write that was
 * acknowledged is readable through the survivor and, after a restart, through the killed one;
 * nothing is stored twice, and a retry with the same transaction id gives the same event. The
 * killed instance's realtime users go offline for a watcher on the survivor within the presence
 * TTL. The same load against a single node on SQLite, killed and restarted, loses nothing either.
 */
import { OP_PRES } from '@parley/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, register, type TestUser, tempDir, V3 } from '../helpers.js';
import { makeRoom } from '../realtime/fixtures.js';
import { onlineRt, type RtClient } from '../realtime/rt-client.js';
import { databaseUrlFor } from '../test-database.js';
import { REDIS_TEST_URL, RedisScope } from './cluster-helpers.js';
import { type DistServer, ensureBuilt, kill, spawnDist, stop } from './serve-dist.js';
import { type LoadScene, send, verifyRoom, verifyToDevice, WriteLoad } from './write-load.js';

const TTL_MS = 1500;
const running: DistServer[] = [];
const sockets: RtClient[] = [];

beforeAll(() => ensureBuilt(), 300_000);
afterAll(async () => {
  for (const s of sockets) s.close();
  for (const s of running) await kill(s);
});

async function start(args: string[], env: Record<string, string> = {}): Promise<DistServer> {
  const s = await spawnDist(args, env);
  running.push(s);
  return s;
}

async function login(base: string, user: TestUser, name: string, deviceId: string): Promise<TestUser> {
  const r = await call(base, 'POST', `${V3}/login`, {
    body: {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: name },
      password: `pw-${name}`,
      device_id: deviceId,
    },
  });
  expect(r.status, r.text).toBe(200);
  return { ...user, token: r.json.access_token, deviceId };
}

/** Users, a room they share and a recipient with two devices, registered through `base`. */
async function scene(base: string) {
  const [w1, w2, w3, w4] = [
    await register(base, 'writer1'),
    await register(base, 'writer2'),
    await register(base, 'writer3'),
    await register(base, 'writer4'),
  ];
  const dave = await register(base, 'dave', 'D1');
  const dave2 = await login(base, dave, 'dave', 'D2');
  const room = await makeRoom(base, w1!, [w2!, w3!, w4!]);
  const s: LoadScene = { roomId: room.roomId, recipient: dave, recipientDevices: ['D1', 'D2'] };
  return { writers: [w1!, w2!, w3!, w4!], dave, dave2, room, scene: s };
}

/** Waits until `n` writes were acknowledged. */
async function acked(load: WriteLoad, n: number): Promise<void> {
  while (load.acked.length < n) await new Promise((r) => setTimeout(r, 20));
}

describe('crash safety', () => {
  it('two instances on PostgreSQL and Redis: SIGKILL one under load', async () => {
    const t = tempDir('parley-cluster-crash-');
    const redis = new RedisScope();
    try {
      const env = {
        PARLEY_DATABASE: await databaseUrlFor(t.dir),
        PARLEY_DATABASE_POOL_SIZE: '4',
        PARLEY_REDIS: REDIS_TEST_URL,
        PARLEY_CLUSTER_KEY_PREFIX: redis.prefix,
        PARLEY_CLUSTER_PRESENCE_TTL_MS: String(TTL_MS),
        PARLEY_CLUSTER_CATCH_UP_INTERVAL_MS: '200',
      };
      const args = ['--data-dir', t.dir, '--server-name', 'crash.cluster'];
      const a = await start(args, env);
      const b = await start(args, env);
      const s = await scene(a.url);

      // A user online only on b, watched by a user on a (they share the room).
      const victim = s.writers[3]!;
      const watcher = s.writers[0]!;
      const w = await onlineRt(a.url, watcher);
      sockets.push(w);
      sockets.push(await onlineRt(b.url, victim, 4));
      await w.waitFor((cs) =>
        cs.some((c) => c.op === OP_PRES && c.user === victim.handle && c.presence === 4),
      );

      const load = new WriteLoad(s.scene, [
        { base: () => a.url, writer: s.writers[0]! },
        { base: () => b.url, writer: s.writers[1]! },
        { base: () => a.url, writer: s.writers[2]! },
        { base: () => b.url, writer: s.writers[3]! },
      ]);
      await acked(load, 120);
      const watchFrom = w.received.length;
      await kill(b);
      // The victim's only connection was on b: offline for the watcher within the TTL (the
      // bound allows as much again for timers firing late on a loaded machine).
      const killedAt = Date.now();
      await w.waitFor(
        (cs) => cs.some((c) => c.op === OP_PRES && c.user === victim.handle && c.presence === 0),
        watchFrom,
        2 * TTL_MS + 1000,
      );
      console.info(`crash: the killed instance's user went offline after ${Date.now() - killedAt} ms`);
      const ackedAtKill = load.acked.length;
      await acked(load, ackedAtKill + 40); // the survivor goes on taking writes
      await load.stop();
      const onB = load.writes.filter((x) => x.base === b.url);
      expect(onB.some((x) => x.acked !== undefined)).toBe(true);

      await verifyRoom(a.url, watcher, load);
      // Retries through the survivor, same transaction ids: acknowledged ones are the same
      // events; unacknowledged ones are stored at most once (now or before the kill).
      for (const x of load.writes) {
        const id = await send(x, s.scene, a.url);
        if (x.kind === 'message' && x.acked !== undefined) expect(id).toBe(x.acked);
      }
      await verifyRoom(a.url, watcher, load);
      const d1 = await verifyToDevice(a.url, s.dave, load);
      expect(d1.length).toBe(new Set(d1).size);

      // The killed instance comes back: the same data through it, D2's messages included.
      const b2 = await start(args, env);
      await verifyRoom(b2.url, victim, load);
      await verifyToDevice(b2.url, s.dave2, load);
      await stop(b2);
      await stop(a);
      expect(await redis.cleanup()).toEqual([`${redis.prefix}slot-seq`]);
    } finally {
      await t.cleanup();
    }
  });

  it('one node on SQLite: SIGKILL under load, restart, nothing acknowledged is lost', async () => {
    const t = tempDir('parley-sqlite-crash-');
    try {
      // No PARLEY_DATABASE: the default SQLite file in the data dir.
      const env = { PARLEY_DATABASE: '', PARLEY_SQLITE_SYNCHRONOUS: 'full' };
      const args = ['--data-dir', t.dir, '--server-name', 'crash.single'];
      const first = await start(args, env);
      const s = await scene(first.url);
      const load = new WriteLoad(
        s.scene,
        s.writers.map((writer) => ({ base: () => first.url, writer })),
      );
      await acked(load, 150);
      await kill(first);
      await load.stop();
      const second = await start(args, env);
      await verifyRoom(second.url, s.writers[0]!, load);
      for (const x of load.writes) {
        const id = await send(x, s.scene, second.url);
        if (x.kind === 'message' && x.acked !== undefined) expect(id).toBe(x.acked);
      }
      await verifyRoom(second.url, s.writers[0]!, load);
      await verifyToDevice(second.url, s.dave, load);
      await stop(second);
    } finally {
      await t.cleanup();
    }
  });

  it('exits 1 naming a Redis it cannot reach, without its password', async () => {
    const t = tempDir('parley-cluster-noredis-');
    try {
      const child = spawnDist(['--data-dir', t.dir], {
        PARLEY_DATABASE: await databaseUrlFor(t.dir),
        PARLEY_REDIS: 'redis://:hunter2@127.0.0.1:1',
      });
      const err = (await child.catch((e: Error) => e)) as Error;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toMatch(/exited \(1\)/);
      expect(err.message).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
      expect(err.message).not.toContain('hunter2');
    } finally {
      await t.cleanup();
    }
  });
});
