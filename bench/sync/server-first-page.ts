/**
 * Sync v3 through the real server: the first page of 20 rooms `by_recency` for a user in 100,
 * 1,000 and 10,000 rooms, over HTTP on loopback (client in the same process).
 *
 * Seeding: one server, three users, each owning its rooms, created through `RoomService` (signed
 * v11 events, authorization, SQLite commits: the HTTP API's own path without HTTP), plus one
 * message per two rooms to random rooms so that recency differs from creation order. The server
 * is then restarted on the same data dir, so the pages come from indexes rebuilt from storage.
 *
 * Columns: server time (handler entry to response, `SyncService.onTiming`), the client's round
 * trip, the same page on an existing session, and a naive baseline that reads the database per
 * request (joined rooms, then each room's latest event, sort, take 20) with the ratio.
 *
 * Run: `npx tsx --conditions=@parley/source bench/sync/server-first-page.ts [--quick]`
 * Results are recorded in docs/sync.md.
 */

import type { ParleyServer } from '../../packages/server/src/index.js';
import { syncServiceOf } from '../../packages/server/src/sync/index.js';
import {
  type BenchUser,
  benchServer,
  fmt,
  machine,
  nowMs,
  pct,
  quick,
  registerUser,
  seedRooms,
  syncOnce,
} from './server-util.js';

const SIZES = quick ? [100, 1_000] : [100, 1_000, 10_000];
const ITERATIONS = quick ? 100 : 500;
const BODY = { room_list: { p: { since: '1', limit: 20, sort: 'by_recency' } } };

/** The naive first page: read the user's rooms and their latest events from the database. */
async function naivePage(server: ParleyServer, userId: string): Promise<string[]> {
  const rooms = await server.storage.getJoinedRooms(userId);
  const heads: { roomId: string; ordering: number }[] = [];
  for (const roomId of rooms) {
    const [last] = await server.storage.getRoomEvents({
      roomId,
      dir: 'b',
      from: Number.MAX_SAFE_INTEGER,
      limit: 1,
    });
    if (last !== undefined) heads.push({ roomId, ordering: last.streamOrdering });
  }
  heads.sort((a, b) => b.ordering - a.ordering);
  return heads.slice(0, 20).map((h) => h.roomId);
}

async function measure(server: ParleyServer, user: BenchUser, rooms: number): Promise<void> {
  const sync = syncServiceOf(server);
  if (sync === undefined) throw new Error('no sync service');
  const serverMs: number[] = [];
  sync.onTiming((t) => serverMs.push(t.ms));
  for (let i = 0; i < 50; i++) await syncOnce(server.url, user, undefined, BODY);
  serverMs.length = 0;
  const roundTrip: number[] = [];
  let first: { room_id: string }[] = [];
  let next = '';
  for (let i = 0; i < ITERATIONS; i++) {
    const t = nowMs();
    const r = await syncOnce(server.url, user, undefined, BODY);
    roundTrip.push(nowMs() - t);
    first = r.room_list?.rooms ?? [];
    next = r.next;
  }
  const fresh = [...serverMs];
  serverMs.length = 0;
  for (let i = 0; i < ITERATIONS; i++) next = (await syncOnce(server.url, user, next, BODY)).next;
  const existing = [...serverMs];
  const naive: number[] = [];
  let naiveIds: string[] = [];
  const naiveRuns = rooms >= 10_000 ? 10 : 50;
  for (let i = 0; i < naiveRuns; i++) {
    const t = nowMs();
    naiveIds = await naivePage(server, user.userId);
    naive.push(nowMs() - t);
  }
  if (first.length !== 20 || first.map((r) => r.room_id).join() !== naiveIds.join()) {
    throw new Error('the sync page and the naive page differ');
  }
  console.log(
    `| ${rooms.toLocaleString('en')} | ${fmt(pct(fresh, 50))} | ${fmt(pct(fresh, 99))} | ${fmt(pct(roundTrip, 50))} | ${fmt(pct(existing, 50))} | ${fmt(pct(naive, 50))} | ${(pct(naive, 50) / pct(fresh, 50)).toFixed(0)}× |`,
  );
}

async function main(): Promise<void> {
  console.log(`# sync v3 server: first page of 20 rooms by_recency (${machine()})\n`);
  const seeded = await benchServer({ syncSessionsPerDevice: 1_000 });
  const users: { user: BenchUser; rooms: number }[] = [];
  for (const rooms of SIZES) {
    const user = await registerUser(seeded.server.url, `u${rooms}`);
    const t = nowMs();
    await seedRooms(seeded.server, user, rooms, rooms / 2);
    console.log(`seeded ${rooms.toLocaleString('en')} rooms in ${((nowMs() - t) / 1000).toFixed(1)} s`);
    users.push({ user, rooms });
  }
  await seeded.server.close();
  const t = nowMs();
  const restarted = await benchServer({ dataDir: seeded.dir, syncSessionsPerDevice: 1_000 });
  const total = SIZES.reduce((a, b) => a + b, 0);
  console.log(
    `restart with ${total.toLocaleString('en')} rooms (index rebuild included): ${(nowMs() - t).toFixed(0)} ms\n`,
  );
  console.log(
    '| rooms | server time, new session (median) | p99 | HTTP round trip (median) | existing session (median) | naive DB read | naive / sync |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const { user, rooms } of users) await measure(restarted.server, user, rooms);
  await restarted.stop();
  const { rmSync } = await import('node:fs');
  rmSync(seeded.dir, { recursive: true, force: true });
}

await main();
