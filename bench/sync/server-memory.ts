/**
 * Memory per idle sync session in the real server: the heap growth after N sessions were
 * created over HTTP (client in the same process; full GCs before each reading), for a bare
 * session (empty body) and for one that took a first page of 20 rooms `by_recency` and
 * subscribed `typing` and `to_device` (the engine keeps that last response for retransmits).
 * The user is in 100 rooms, seeded through `RoomService`.
 *
 * Run: `npx tsx --conditions=@parley/source bench/sync/server-memory.ts [--quick]`
 * Results are recorded in docs/sync.md.
 */
import { syncServiceOf } from '../../packages/server/src/sync/index.js';
import { benchServer, gc, machine, quick, registerUser, seedRooms, syncOnce } from './server-util.js';

const SESSIONS = quick ? 1_000 : 5_000;

async function main(): Promise<void> {
  console.log(`# sync v3 server: memory per idle session (${machine()})\n`);
  const { server, stop } = await benchServer({ syncSessionsPerDevice: 1_000, syncSessionsTotal: 100_000 });
  const sync = syncServiceOf(server);
  if (sync === undefined) throw new Error('no sync service');
  const user = await registerUser(server.url, 'owner');
  const rooms = await seedRooms(server, user, 100, 50);
  const bodies: [string, unknown][] = [
    ['bare (empty body)', {}],
    [
      'first page of 20 rooms + typing + to_device',
      { room_list: { p: { since: '1', limit: 20 } }, typing: { room_id: rooms[0] }, to_device: {} },
    ],
  ];
  console.log(`${SESSIONS.toLocaleString('en')} sessions per row\n`);
  console.log('| idle session | heap per session |');
  console.log('| --- | ---: |');
  // Sessions are spread over devices (the per-device cap stays out of the way).
  const devices = [];
  for (let d = 0; d < Math.ceil((3 * SESSIONS) / 800); d++)
    devices.push(await registerUser(server.url, `dev${d}`));
  let round = 0;
  for (const [name, body] of bodies) {
    for (let i = 0; i < 200; i++) await syncOnce(server.url, devices[0]!, undefined, body);
    const start = sync.engine.sessionCount;
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < SESSIONS; i++)
      await syncOnce(server.url, devices[(i + round) % devices.length]!, undefined, body);
    gc();
    gc();
    const after = process.memoryUsage().heapUsed;
    const made = sync.engine.sessionCount - start;
    if (made !== SESSIONS) throw new Error(`expected ${SESSIONS} new sessions, got ${made}`);
    console.log(`| ${name} | ${((after - before) / SESSIONS / 1024).toFixed(1)} KiB |`);
    round++;
  }
  await stop();
}

await main();
