/**
 * Sync first-page latency and throughput on one instance against two: a user in 1,000 rooms
 * asks new sessions for the first 20 rooms `by_recency` (`POST /sync`, no `since`).
 *
 * - one instance, no Redis (single node on PostgreSQL);
 * - two instances with `--redis`, half of the rooms created and written through each, so every
 *   instance serves a room list it built partly from the other's events (read back from
 *   PostgreSQL); requests alternate between the instances.
 *
 * Measured: the round trip of one request at a time (median, p99), then 32 clients asking at
 * once for a few seconds (requests/s over all instances). Each configuration checks that the
 * page is the same 20 rooms on every instance.
 *
 * Run: `npx tsx --conditions=@parley/source bench/cluster/sync-first-page.ts [--quick] [--rooms N]`
 * Results: docs/scale-out.md.
 */
import { performance } from 'node:perf_hooks';
import { BenchCluster, fmt, machine, pool, post } from './cluster-util.js';

const quick = process.argv.includes('--quick');
const roomsArg = process.argv.indexOf('--rooms');
const ROOMS = roomsArg > 0 ? Number(process.argv[roomsArg + 1]) : quick ? 200 : 1000;
const SEQUENTIAL = quick ? 100 : 400;
const CONCURRENT = 32;
const SECONDS = quick ? 3 : 8;
const BODY = { room_list: { p: { since: '1', limit: 20, sort: 'by_recency' } } };

interface Result {
  p50: number;
  p99: number;
  perSecond: number;
}

async function firstPage(url: string, token: string): Promise<string[]> {
  const r = await post(`${url}/_matrix/client/v3/sync`, token, BODY);
  const list = (r as unknown as { room_list: { rooms: { room_id: string }[] } }).room_list;
  return list.rooms.map((x) => x.room_id);
}

async function run(name: string, instances: number): Promise<Result> {
  const c = new BenchCluster();
  try {
    const urls: string[] = [];
    for (let i = 0; i < instances; i++) urls.push(await c.start(instances > 1));
    const reg = await post(`${urls[0]}/_matrix/client/v3/register`, undefined, {
      username: 'reader',
      password: 'pw',
    });
    const token = reg.access_token!;
    // Rooms created (and one message each in every other room) through the instances in turn.
    const rooms = await pool(ROOMS, 8, async (i) => {
      const url = urls[i % instances]!;
      const r = await post(`${url}/_matrix/client/v3/createRoom`, token, { name: `room ${i}` });
      return r.room_id!;
    });
    await pool(Math.floor(ROOMS / 2), 8, async (i) => {
      const url = urls[i % instances]!;
      const room = encodeURIComponent(rooms[(i * 7919) % ROOMS]!);
      const res = await fetch(`${url}/_matrix/client/v3/rooms/${room}/send/m.room.message/m${i}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ msgtype: 'm.text', body: `hello ${i}` }),
      });
      if (res.status !== 200) throw new Error(`send: ${res.status}`);
    });
    // Every instance has caught up with the others (the stream catches up within its interval).
    await new Promise((r) => setTimeout(r, 1500));
    const pages = await Promise.all(urls.map((u) => firstPage(u, token)));
    for (const p of pages) {
      if (p.join() !== pages[0]!.join()) throw new Error(`${name}: the instances disagree on the first page`);
    }
    for (let i = 0; i < 20; i++) await firstPage(urls[i % instances]!, token); // warm-up
    const times: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t0 = performance.now();
      await firstPage(urls[i % instances]!, token);
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    let done = 0;
    const until = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, k) => {
        for (let i = k; performance.now() < until; i += CONCURRENT) {
          await firstPage(urls[i % instances]!, token);
          done++;
        }
      }),
    );
    const result = {
      p50: times[Math.floor(times.length / 2)]!,
      p99: times[Math.floor(times.length * 0.99)]!,
      perSecond: done / ((performance.now() - t0) / 1000),
    };
    console.log(
      `| ${name} | ${fmt(result.p50, 2)} ms | ${fmt(result.p99, 2)} ms | ${fmt(result.perSecond)} |`,
    );
    return result;
  } finally {
    await c.close();
  }
}

console.log(
  `sync first page: a user in ${fmt(ROOMS)} rooms, new sessions, first 20 by_recency; ${machine()}\n`,
);
console.log(`| configuration | one at a time: p50 | p99 | ${CONCURRENT} at once: requests/s |`);
console.log('| --- | ---: | ---: | ---: |');
const one = await run('1 instance', 1);
const two = await run('2 instances, --redis', 2);
console.log(
  `\n2 instances / 1 instance: p50 ${fmt(two.p50 / one.p50, 2)}x, requests/s ${fmt(two.perSecond / one.perSecond, 2)}x`,
);
console.log(`after the run: ${machine()}`);
process.exit(0);
