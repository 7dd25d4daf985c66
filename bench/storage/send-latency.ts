/**
 * `PUT /send` on SQLite and on PostgreSQL, over HTTP on loopback (client in the same process):
 *
 * - one sender, one message at a time: round-trip p50/p99 (the write latency a user sees);
 * - 16 senders in 16 rooms at once: messages/s (appends of different rooms: on PostgreSQL they
 *   run in parallel up to the stream counter, taken at the end of each transaction);
 * - 16 senders in one room: messages/s (one room's appends are serialized by design);
 * - PostgreSQL only, two instances on one database (each with its own pool and room locks,
 *   sharing the signing key), 8 senders on each: in 16 rooms and in one shared room, and a
 *   check that the shared room's history stayed one line.
 *
 * SQLite runs with `synchronous = full` (the default: an fsync per commit) and `normal`.
 * PostgreSQL is the local service (`PARLEY_BENCH_PG_URL`, default
 * `postgres://postgres@127.0.0.1:5432/test`), in a schema created and dropped by the run, with its
 * default `synchronous_commit = on`.
 *
 * Run: `npx tsx --conditions=@parley/source bench/storage/send-latency.ts [--quick]`
 * Results are recorded in docs/scale-out.md.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { ParleyServer, StartServerOptions } from '../../packages/server/src/index.js';
import { createPool } from '../../packages/server/src/storage/postgres/pg-pool.js';
import {
  type BenchUser,
  benchServer,
  fmt,
  machine,
  nowMs,
  pct,
  quick,
  registerUser,
  request,
} from '../sync/server-util.js';

const PG_URL = process.env.PARLEY_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SEQUENTIAL = quick ? 100 : 400;
const PER_SENDER = quick ? 15 : 60;

interface Row {
  setup: string;
  p50?: number;
  p99?: number;
  rooms16?: number;
  room1?: number;
}

let txn = 0;
async function send(base: string, who: BenchUser, roomId: string): Promise<void> {
  const path = `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${++txn}`;
  const r = await request(base, 'PUT', path, who.token, { msgtype: 'm.text', body: 'hello' });
  if (r.status !== 200) throw new Error(`send: ${r.status} ${JSON.stringify(r.json)}`);
}

async function createRoom(base: string, who: BenchUser, invite: string[] = []): Promise<string> {
  const r = await request(base, 'POST', '/_matrix/client/v3/createRoom', who.token, {
    preset: 'public_chat',
    invite,
  });
  if (r.status !== 200) throw new Error(`createRoom: ${r.status}`);
  return r.json.room_id;
}

async function joinRoom(base: string, who: BenchUser, roomId: string): Promise<void> {
  const r = await request(base, 'POST', `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, who.token);
  if (r.status !== 200) throw new Error(`join: ${r.status}`);
}

/** Messages/s of `senders` (each on its own base URL) sending `PER_SENDER` each to their room. */
async function throughput(senders: { base: string; who: BenchUser; roomId: string }[]): Promise<number> {
  const t0 = nowMs();
  await Promise.all(
    senders.map(async (s) => {
      for (let i = 0; i < PER_SENDER; i++) await send(s.base, s.who, s.roomId);
    }),
  );
  return (senders.length * PER_SENDER * 1000) / (nowMs() - t0);
}

/** Runs the three measurements against `bases` (one or more instances of one database). */
async function measure(setup: string, bases: string[], sequential: boolean): Promise<Row> {
  const row: Row = { setup };
  const users: BenchUser[] = [];
  for (let i = 0; i < 16; i++) users.push(await registerUser(bases[i % bases.length]!, `u${i}`));
  const baseOf = (i: number) => bases[i % bases.length]!;
  if (sequential) {
    const roomId = await createRoom(baseOf(0), users[0]!);
    for (let i = 0; i < 20; i++) await send(baseOf(0), users[0]!, roomId);
    const times: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t0 = nowMs();
      await send(baseOf(0), users[0]!, roomId);
      times.push(nowMs() - t0);
    }
    row.p50 = pct(times, 50);
    row.p99 = pct(times, 99);
  }
  const own = [];
  for (let i = 0; i < 16; i++)
    own.push({ base: baseOf(i), who: users[i]!, roomId: await createRoom(baseOf(i), users[i]!) });
  row.rooms16 = await throughput(own);
  const shared = await createRoom(baseOf(0), users[0]!);
  for (let i = 1; i < 16; i++) await joinRoom(baseOf(i), users[i]!, shared);
  row.room1 = await throughput(users.map((who, i) => ({ base: baseOf(i), who, roomId: shared })));
  return row;
}

const common: StartServerOptions = { maxInFlight: 10_000 };

async function sqlite(synchronous: 'full' | 'normal'): Promise<Row> {
  const s = await benchServer({ ...common, sqliteSynchronous: synchronous });
  try {
    return await measure(`SQLite, synchronous=${synchronous}`, [s.server.url], true);
  } finally {
    await s.stop();
  }
}

/** Checks that every event of every room cites exactly the event before it. */
async function checkLinear(admin: ReturnType<typeof createPool>, schema: string): Promise<void> {
  const { rows } = await admin.query<{ room_id: string; json: string; event_id: string }>(
    `SELECT room_id, event_id, json FROM ${schema}.events ORDER BY room_id, stream_ordering`,
  );
  let prevRoom = '';
  let prevId = '';
  for (const r of rows) {
    const cites = (JSON.parse(r.json) as { prev_events: string[] }).prev_events;
    if (r.room_id === prevRoom && (cites.length !== 1 || cites[0] !== prevId)) {
      throw new Error(`room ${r.room_id} forked at ${r.event_id}`);
    }
    prevRoom = r.room_id;
    prevId = r.event_id;
  }
}

async function postgres(instances: number): Promise<Row> {
  const schema = `parley_bench_${process.pid}_${instances}`;
  const admin = createPool({ url: PG_URL, poolSize: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const dirs: string[] = [];
  const servers: { server: ParleyServer; stop: () => Promise<void> }[] = [];
  try {
    for (let i = 0; i < instances; i++) {
      const dir = mkdtempSync(join(os.tmpdir(), 'parley-bench-pg-'));
      dirs.push(dir);
      // Instances of one server share its signing key (docs/scale-out.md).
      if (i > 0) copyFileSync(join(dirs[0]!, 'signing.key'), join(dir, 'signing.key'));
      servers.push(
        await benchServer({ ...common, dataDir: dir, database: url.toString(), databasePoolSize: 10 }),
      );
    }
    const label = instances === 1 ? 'PostgreSQL, one instance' : `PostgreSQL, ${instances} instances`;
    const row = await measure(
      label,
      servers.map((s) => s.server.url),
      instances === 1,
    );
    await checkLinear(admin, schema);
    return row;
  } finally {
    for (const s of servers) await s.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

const rows: Row[] = [];
rows.push(await sqlite('full'));
rows.push(await sqlite('normal'));
rows.push(await postgres(1));
rows.push(await postgres(2));

const base = rows[0]!;
const ratio = (v: number | undefined, b: number | undefined) =>
  v === undefined || b === undefined ? '' : ` (${(v / b).toFixed(2)}×)`;
console.log(`\n${machine()}, load average ${os.loadavg()[0]!.toFixed(1)}`);
console.log(`${SEQUENTIAL} sequential sends; ${PER_SENDER} sends per sender in the throughput runs\n`);
console.log('| setup | send p50 | send p99 | 16 senders, 16 rooms | 16 senders, 1 room |');
console.log('| --- | --- | --- | --- | --- |');
for (const r of rows) {
  const cell = (v: number | undefined, b: number | undefined, f: (x: number) => string) =>
    v === undefined ? '–' : `${f(v)}${r === base ? '' : ratio(v, b)}`;
  const perSec = (x: number) => `${x.toFixed(0)}/s`;
  console.log(
    `| ${r.setup} | ${cell(r.p50, base.p50, fmt)} | ${cell(r.p99, base.p99, fmt)} | ` +
      `${cell(r.rooms16, base.rooms16, perSec)} | ${cell(r.room1, base.room1, perSec)} |`,
  );
}
