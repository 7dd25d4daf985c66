/**
 * Long-poll wake latency through the real server (HTTP on loopback, client in the same process):
 * a session long-polls `typing` and `room` of a room; the time runs from a change to the client
 * holding the answer. Triggers:
 *
 * - typing, in process: `SyncService.setTyping` (the typing route's work without its HTTP);
 * - typing over HTTP: `PUT /typing` by another member, timed from sending the PUT;
 * - new event: `RoomService.send` (signing and commit), timed from the commit (`onEventStored`).
 *
 * Two times per round: until the client holds the answer, and until the server has it ready
 * (the `SyncService.sync` promise resolved, before HTTP writes it).
 *
 * Meanwhile 1,000 other sessions (200 with --quick) wait in long-polls the changes do not concern.
 * Baseline: a `ws` server pushing a message to a connected `ws` client on loopback, timed from
 * `send` to the client's `message` event: what a WebSocket push costs on the same machine.
 *
 * Run: `npx tsx --conditions=@parley/source bench/sync/server-wake.ts [--quick]`
 * Results are recorded in docs/sync.md.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { syncServiceOf } from '../../packages/server/src/sync/index.js';
import {
  benchServer,
  fmt,
  machine,
  nowMs,
  pct,
  quick,
  registerUser,
  request,
  syncOnce,
} from './server-util.js';

const ROUNDS = quick ? 100 : 500;
const IDLE_WAITERS = process.env.WAITERS !== undefined ? Number(process.env.WAITERS) : quick ? 200 : 1_000;

const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((r) => setImmediate(r));
};

async function main(): Promise<void> {
  console.log(`# sync v3 server: long-poll wake latency (${machine()})\n`);
  const { server, stop } = await benchServer({ syncSessionsPerDevice: IDLE_WAITERS + 10 });
  const sync = syncServiceOf(server);
  if (sync === undefined) throw new Error('no sync service');
  const alice = await registerUser(server.url, 'alice');
  const bob = await registerUser(server.url, 'bob');
  const idle = await registerUser(server.url, 'idle');
  const room = await server.rooms.createRoom(alice.userId, { preset: 'public_chat', invite: [] });
  await server.rooms.join(room.roomId, bob.userId);

  let running = true;
  const waiters: Promise<void>[] = [];
  for (let i = 0; i < IDLE_WAITERS; i++) {
    waiters.push(
      (async () => {
        let since = (await syncOnce(server.url, idle, undefined, { to_device: {} })).next;
        // Staggered timeouts: the waiters come back one by one, not as a wave.
        while (running)
          since = (await syncOnce(server.url, idle, since, {}, 20_000 + ((i * 37) % 10_000))).next;
      })(),
    );
  }
  await until(() => sync.engine.waitingCount >= IDLE_WAITERS);

  const body = { typing: { room_id: room.roomId }, room: { room_id: room.roomId, timeline_limit: 5 } };
  let since = (await syncOnce(server.url, alice, undefined, body)).next;
  let storedAt = 0;
  server.rooms.onEventStored(() => {
    storedAt = nowMs();
  });
  // When the server has the answer ready (before HTTP writes it): the server-side wake latency.
  let answeredAt = 0;
  const serve = sync.sync.bind(sync);
  sync.sync = async (...args) => {
    const body = await serve(...args);
    answeredAt = nowMs();
    return body;
  };
  let typingNow = false;
  const round = async (trigger: () => Promise<number>): Promise<[number, number]> => {
    const poll = syncOnce(server.url, alice, since, {}, 20_000);
    await until(() => sync.engine.waitingCount >= IDLE_WAITERS + 1);
    const t0 = await trigger();
    const r = await poll;
    const t1 = nowMs();
    if (r.typing === undefined && r.room === undefined) throw new Error('woken without news');
    since = r.next;
    return [t1 - t0, answeredAt - t0];
  };
  const triggers: [string, () => Promise<number>][] = [
    [
      'typing change, in process',
      async () => {
        typingNow = !typingNow;
        const t0 = nowMs();
        await sync.setTyping(bob.userId, room.roomId, typingNow);
        return t0;
      },
    ],
    [
      'typing change, `PUT /typing` over HTTP',
      async () => {
        typingNow = !typingNow;
        const t0 = nowMs();
        const path = `/_matrix/client/v3/rooms/${encodeURIComponent(room.roomId)}/typing/${encodeURIComponent(bob.userId)}`;
        void request(server.url, 'PUT', path, bob.token, { typing: typingNow });
        return t0;
      },
    ],
    [
      'new event, from its commit',
      async () => {
        storedAt = 0;
        const n = nowMs();
        await server.rooms.send(
          room.roomId,
          bob.userId,
          'm.room.message',
          { msgtype: 'm.text', body: 'x' },
          {
            ...bob,
            txnId: `w${n}`,
          },
        );
        return storedAt;
      },
    ],
  ];
  console.log(`${IDLE_WAITERS.toLocaleString('en')} other sessions waiting; ${ROUNDS} rounds each\n`);
  console.log(
    '| trigger | to the client: median | p99 | answer ready in the server: median | p99 | ws push (median) | long-poll / ws |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const ws = await wsPush();
  const started = nowMs();
  for (const [name, trigger] of triggers) {
    for (let i = 0; i < 20; i++) await round(trigger);
    const xs: number[] = [];
    const inServer: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const [client, server] = await round(trigger);
      xs.push(client);
      inServer.push(server);
    }
    console.log(
      `| ${name} | ${fmt(pct(xs, 50))} | ${fmt(pct(xs, 99))} | ${fmt(pct(inServer, 50))} | ${fmt(pct(inServer, 99))} | ${fmt(pct(ws, 50))} | ${(pct(xs, 50) / pct(ws, 50)).toFixed(1)}× |`,
    );
  }
  console.log(
    `\nws push p99: ${fmt(pct(ws, 99))}; measured over ${((nowMs() - started) / 1000).toFixed(1)} s`,
  );
  running = false;
  await stop();
  await Promise.allSettled(waiters);
}

/** A ws server pushing 100-byte messages to one client: latency from `send` to `message`. */
async function wsPush(): Promise<number[]> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as AddressInfo).port;
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((r) => client.once('open', r));
  const peer = await serverSide;
  const payload = 'x'.repeat(100);
  const out: number[] = [];
  for (let i = 0; i < ROUNDS + 20; i++) {
    const got = new Promise((r) => client.once('message', r));
    const t0 = nowMs();
    peer.send(payload);
    await got;
    if (i >= 20) out.push(nowMs() - t0);
  }
  client.close();
  wss.close();
  return out;
}

await main();
