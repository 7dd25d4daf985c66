/**
 * Soak: many realtime connections across two `parley serve` instances (from the build, one
 * PostgreSQL schema, one Redis) doing presence changes, room RTMSG and keepalives with
 * connections closing and reopening. Both instances run with the inspector on loopback: at the
 * end of the warm-up (40 % of the run) and at the end, still under load, each gets a full garbage
 * collection and its live heap is read; it must not have grown by more than 3 % + 1 MiB. (A leak
 * of 1 KiB per cluster event, about 2 MiB in the short run, fails it; the noise between runs
 * was below 0.6 MiB.) (Their
 * `/metrics` heap is sampled too, for the record.)
 *
 * CI runs 500 connections for 20 s; `PARLEY_SOAK=1` runs 10,000 for 3 minutes
 * (`PARLEY_SOAK_CONNECTIONS`, `PARLEY_SOAK_SECONDS` override).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { databaseUrlFor } from '../test-database.js';
import { REDIS_TEST_URL, RedisScope } from './cluster-helpers.js';
import { type DistServer, ensureBuilt, kill, spawnDist, stop } from './serve-dist.js';
import { heapUsed, liveHeap, metric, SoakLoad, soakUsers } from './soak-driver.js';

const LONG = process.env.PARLEY_SOAK === '1';
const CONNECTIONS = Number(process.env.PARLEY_SOAK_CONNECTIONS ?? (LONG ? 10_000 : 500));
const SECONDS = Number(process.env.PARLEY_SOAK_SECONDS ?? (LONG ? 180 : 20));
const MIB = 1024 * 1024;

const running: DistServer[] = [];
beforeAll(() => ensureBuilt(), 300_000);
afterAll(async () => {
  for (const s of running) await kill(s);
});

describe('soak', () => {
  it(
    `${CONNECTIONS} connections over two instances for ${SECONDS} s: no heap growth after warm-up`,
    async () => {
      const t = tempDir('parley-soak-');
      const redis = new RedisScope();
      try {
        const env = {
          PARLEY_DATABASE: await databaseUrlFor(t.dir),
          PARLEY_DATABASE_POOL_SIZE: '4',
          PARLEY_REDIS: REDIS_TEST_URL,
          PARLEY_CLUSTER_KEY_PREFIX: redis.prefix,
          PARLEY_MAX_CONNECTIONS: String(CONNECTIONS + 1000),
          PARLEY_REALTIME_MAX_CONNECTIONS: String(CONNECTIONS),
          PARLEY_LOGIN_BURST: '1000000',
          PARLEY_LOGIN_PER_MINUTE: '1000000',
        };
        const args = ['--data-dir', t.dir, '--server-name', 'soak.cluster'];
        const inspect = ['--inspect=127.0.0.1:0'];
        const a = await spawnDist(args, env, inspect);
        running.push(a);
        const b = await spawnDist(args, env, inspect);
        running.push(b);
        const bases = [a.url, b.url];
        const users = await soakUsers(bases, Math.ceil(CONNECTIONS / bases.length));
        const load = new SoakLoad(bases, users);
        await load.open();
        // Each connection acts about once a second (LONG: every 4 s); 0.5 % reconnect each second.
        const tickMs = 100;
        load.run(
          tickMs,
          Math.ceil(CONNECTIONS / (LONG ? 40 : 10)),
          Math.max(1, Math.ceil(CONNECTIONS / 2000)),
        );
        const samples: number[][] = [[], []];
        const started = Date.now();
        const sample = async (until: number) => {
          while (Date.now() < until) {
            const heaps = await Promise.all(bases.map(heapUsed));
            heaps.forEach((h, i) => {
              samples[i]!.push(h);
            });
            await new Promise((r) => setTimeout(r, 500));
          }
        };
        const live = () => Promise.all([a, b].map((s) => liveHeap(s.stderr())));
        await sample(started + SECONDS * 400);
        const warm = await live();
        await sample(started + SECONDS * 700);
        const mid = await live();
        await sample(started + SECONDS * 1000);
        const end = await live();
        const remote = await Promise.all(bases.map((u) => metric(u, 'parley_cluster_remote_connections')));
        load.stop();
        const c = load.counters;
        // The load did its work, across the instances, and the server closed nobody.
        expect(c.rtmsgReceived).toBeGreaterThan(CONNECTIONS);
        expect(c.presReceived).toBeGreaterThan(CONNECTIONS);
        expect(c.reconnects).toBeGreaterThan(0);
        expect(c.closeReasons).toEqual({});
        for (const [i, s] of samples.entries()) {
          const mib = (x: number) => `${(x / MIB).toFixed(1)} MiB`;
          console.info(
            `soak instance ${i}: live heap ${mib(warm[i]!)} after warm-up, ${mib(mid[i]!)} half way, ` +
              `${mib(end[i]!)} at the end; ` +
              `/metrics heap ${mib(Math.min(...s))} .. ${mib(Math.max(...s))} (${s.length} samples); ` +
              `${remote[i]} connections of the other instance known; ` +
              JSON.stringify(c),
          );
          expect(end[i]!).toBeLessThan(warm[i]! * 1.03 + MIB);
        }
        await Promise.all([stop(a), stop(b)]);
        expect(await redis.cleanup()).toEqual([`${redis.prefix}slot-seq`]);
      } finally {
        await t.cleanup();
      }
    },
    (SECONDS + 600) * 1000,
  );
});
