/**
 * Sync v3 engine benchmarks (no HTTP, in-memory data source):
 *
 * 1. first page: a new session asking for the first 20 rooms `by_recency` of a user in 100, 1,000
 *    and 10,000 rooms, timed from `handleRequest` to the response; also the same page on an
 *    existing session, and a naive baseline (sort the user's rooms, take 20) for the ratio;
 * 2. memory per idle session: heap growth per session, bare and after a first page of 20 rooms
 *    (the engine keeps the last response for retransmits);
 * 3. wake: a typing change reaching one of 1,000 long-polls, from `notify` to the response.
 *
 * Run: `npx tsx bench/sync/first-page.ts [--quick]`. Results are recorded in docs/sync.md.
 */

import os from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  MemorySyncDataSource,
  SyncEngine,
  type SyncResponseBody,
  type SyncRoomSummary,
} from '../../packages/core/src/sync/index.js';
import { SeededRandom } from '../../packages/core/src/testing/seeded-random.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const quick = process.argv.includes('--quick');
const USER = '@me:bench';

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number): number => {
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const fmt = (ms: number): string => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);

/** A user in `n` rooms with shuffled names and recency. */
function world(n: number): { source: MemorySyncDataSource; summaries: SyncRoomSummary[] } {
  const source = new MemorySyncDataSource();
  const rnd = new SeededRandom(n);
  for (let i = 0; i < n; i++)
    source.createRoom(`!room${i}:bench`, { creator: USER, name: `Room ${rnd.nextU32().toString(36)}` });
  for (let i = 0; i < n; i++) source.sendMessage(`!room${rnd.nextInt(n)}:bench`, USER, 'hello');
  const summaries = source.roomList
    .page(USER, {
      sort: 'by_name',
      snapshot: source.position,
      limit: n + 1,
    })
    .items.filter((e): e is SyncRoomSummary & { membership: 'join' } => e.membership === 'join');
  // Fresh, compact copies: the best case for the naive baseline.
  return { source, summaries: summaries.map((s) => ({ ...s })) };
}

async function firstPage(n: number, report = true): Promise<void> {
  const t0 = nowMs();
  const { source, summaries } = world(n);
  const buildMs = nowMs() - t0;
  const engine = new SyncEngine({
    source,
    random: new SeededRandom(1),
    limits: { sessionsPerDevice: 1_000_000 },
  });
  const body = { room_list: { p: { since: '1', limit: 20, sort: 'by_recency' } } };
  const iterations = quick ? 300 : 2_000;
  const fresh: number[] = [];
  const existing: number[] = [];
  const naive: number[] = [];
  const indexOnly: number[] = [];
  // Each measurement in its own loop, so that one's garbage does not land on another's clock.
  const tokens: string[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = nowMs();
    const r = await engine.sync(0, { userId: USER, deviceId: `D${i % 50}`, body });
    fresh.push(nowMs() - t);
    tokens.push(r.next);
  }
  let last: SyncResponseBody | undefined;
  for (let i = 0; i < iterations; i++) {
    const t = nowMs();
    last = await engine.sync(0, { userId: USER, deviceId: `D${i % 50}`, since: tokens[i], body });
    existing.push(nowMs() - t);
  }
  for (let i = 0; i < iterations; i++) {
    const t = nowMs();
    source.roomList.page(USER, { sort: 'by_recency', snapshot: source.position, limit: 20 });
    indexOnly.push(nowMs() - t);
  }
  let page: SyncRoomSummary[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = nowMs();
    page = [...summaries].sort((a, b) => b.recency - a.recency).slice(0, 20);
    naive.push(nowMs() - t);
  }
  if (page.length !== 20 || last?.room_list?.rooms[0]?.room_id !== page[0]?.room_id)
    throw new Error('pages differ');
  const med = pct(fresh, 50);
  if (!report) return;
  console.log(
    `| ${n.toLocaleString('en')} | ${fmt(med)} | ${fmt(pct(fresh, 99))} | ${fmt(pct(existing, 50))} | ${fmt(pct(indexOnly, 50))} | ${fmt(pct(naive, 50))} | ${(pct(naive, 50) / pct(indexOnly, 50)).toFixed(0)}× | ${buildMs.toFixed(0)} ms |`,
  );
}

async function memory(): Promise<void> {
  const { source } = world(1_000);
  const count = quick ? 2_000 : 10_000;
  for (const withPage of [false, true]) {
    const engine = new SyncEngine({
      source,
      random: new SeededRandom(2),
      limits: { sessionsTotal: count + 1 },
    });
    const body = withPage
      ? { room_list: { p: { since: '1', limit: 20 } }, to_device: {}, typing: { room_id: '!room0:bench' } }
      : {};
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < count; i++) await engine.sync(0, { userId: USER, deviceId: `D${i}`, body });
    gc();
    const per = (process.memoryUsage().heapUsed - before) / count;
    if (engine.sessionCount !== count) throw new Error('sessions were evicted');
    console.log(
      `| ${withPage ? 'after a first page of 20 rooms (+ typing, to_device)' : 'bare (empty body)'} | ${(per / 1024).toFixed(2)} KiB |`,
    );
  }
}

async function wake(): Promise<void> {
  const source = new MemorySyncDataSource();
  const engine = new SyncEngine({ source, random: new SeededRandom(3), limits: { sessionsTotal: 10_000 } });
  const rooms = 1_000;
  const pending: Promise<SyncResponseBody>[] = [];
  for (let i = 0; i < rooms; i++) source.createRoom(`!r${i}:bench`, { creator: `@u${i}:bench` });
  const tokens: string[] = [];
  for (let i = 0; i < rooms; i++) {
    const r = await engine.sync(0, {
      userId: `@u${i}:bench`,
      deviceId: 'D',
      body: { typing: { room_id: `!r${i}:bench` } },
    });
    tokens.push(r.next);
  }
  const arm = async (i: number) => {
    const out = await engine.handleRequest(0, {
      userId: `@u${i}:bench`,
      deviceId: 'D',
      since: tokens[i],
      body: {},
      timeout: 30_000,
    });
    if (out.kind !== 'wait') throw new Error('expected a wait');
    // Wrapped: an async function returning the promise itself would wait for it.
    return { response: out.response };
  };
  for (let i = 0; i < rooms; i++) pending.push((await arm(i)).response);
  const samples: number[] = [];
  const rnd = new SeededRandom(4);
  for (let k = 0; k < (quick ? 200 : 1_000); k++) {
    const i = rnd.nextInt(rooms);
    const t = nowMs();
    await engine.notify(0, source.setTyping(`!r${i}:bench`, [`@u${i}:bench`, `@x${k}:bench`]));
    const r = await pending[i];
    samples.push(nowMs() - t);
    tokens[i] = (r as SyncResponseBody).next;
    pending[i] = (await arm(i)).response;
  }
  console.log(
    `| typing change, 1,000 long-polls waiting | ${fmt(pct(samples, 50))} | ${fmt(pct(samples, 99))} |`,
  );
}

console.log(
  `sync v3 engine — ${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}${quick ? ' (quick)' : ''}\n`,
);
console.log(
  '| rooms | first page, new session (median) | p99 | same page, existing session (median) | index page alone | naive sort + slice | naive / index | build |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
await firstPage(100, false); // warm-up: let the JIT settle before the first reported row
for (const n of [100, 1_000, 10_000]) await firstPage(n);
console.log('\n| idle session | heap per session |\n| --- | ---: |');
await memory();
console.log('\n| wake (engine only, no HTTP) | median | p99 |\n| --- | ---: | ---: |');
await wake();
