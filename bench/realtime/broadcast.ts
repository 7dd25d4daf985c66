/**
 * Room broadcast of 1 KiB realtime messages to 1,000 connected clients: Parley's realtime channel
 * (`OP_RTMSG` to (0, 0) over the server's own WebSocket codec) against a Socket.IO server doing
 * the same room broadcast (`socket.to(room).emit`, websocket transport only), with the same client
 * count and the same load generator, in the same run.
 *
 * The servers run in this process, one at a time; the clients (one sender + receivers) run in a
 * child process (`broadcast-clients.ts`) so that the load generator does not compete with the
 * server for its event loop. Phases per server: a warm-up, a saturating phase (a window of
 * messages in flight: the next message goes out when one has reached every receiver), and a
 * paced phase at light load for latency. Latency is send to receipt, both measured in the child.
 *
 * Run: `npx tsx --conditions=@parley/source bench/realtime/broadcast.ts [--quick] [--clients N]`
 * Results are recorded in docs/realtime-protocol.md ("Performance").
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { Server as SocketIoServer } from 'socket.io';
import { type StartServerOptions, startServer } from '../../packages/server/src/index.js';
import type { LoadRequest, PhaseResult, PhaseSpec } from './broadcast-clients.js';

const quick = process.argv.includes('--quick');
const clientsArg = process.argv.indexOf('--clients');
const CLIENTS = clientsArg > 0 ? Number(process.argv[clientsArg + 1]) : 1001; // 1 sender + 1,000 receivers
const ROUNDS = quick ? 1 : 2;
// `--only Parley` or `--only Socket.IO`: one server (for profiling); no ratios then.
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg > 0 ? process.argv[onlyArg + 1] : undefined;
const WINDOW = 16;
// Socket.IO's receivers: bare `ws` clients speaking its protocol (default: the same client cost as
// Parley's, so the servers are compared), or `--sio-client` for socket.io-client itself.
const SIO_RECEIVERS = process.argv.includes('--sio-client') ? 'socket.io-client' : 'ws';
const PHASES: PhaseSpec[] = [
  { name: 'warm-up', seconds: quick ? 1 : 2, window: WINDOW, rate: 0, discard: true },
  { name: `saturated (window ${WINDOW})`, seconds: quick ? 2 : 5, window: WINDOW, rate: 0 },
  { name: 'paced 20 msg/s', seconds: quick ? 2 : 3, window: 0, rate: 20 },
];

function machine(): string {
  return `${os.cpus().length}-core ${os.arch()} (${os.cpus()[0]?.model.trim()}), Node ${process.version}`;
}

/** A Parley server on a fresh temp dir, stopped and removed by `stop`. */
async function benchServer(
  options: StartServerOptions,
): Promise<{ server: { url: string }; stop: () => Promise<void> }> {
  const dir = mkdtempSync(join(os.tmpdir(), 'parley-bench-rt-'));
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    serverName: 'bench.local',
    logLevel: 'silent',
    scryptCost: 10,
    loginBurst: 1_000_000,
    loginPerMinute: 1_000_000,
    sqliteSynchronous: 'normal',
    maxInFlight: 10_000,
    ...options,
    dataDir: dir,
  });
  return {
    server,
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the load generator in a child process against one server. */
async function load(req: LoadRequest): Promise<PhaseResult[]> {
  const child = fork(new URL('./broadcast-clients.ts', import.meta.url), [], { stdio: 'inherit' });
  const killer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  try {
    child.send(req);
    const [answer] = (await once(child, 'message')) as [
      { ok: boolean; results?: PhaseResult[]; error?: string },
    ];
    if (!answer.ok) throw new Error(`load generator failed: ${answer.error}`);
    return answer.results!;
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      const grace = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(grace);
    }
  }
}

async function pool<T>(n: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) out[i] = await task(i);
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

async function post(url: string, token: string | undefined, body: unknown): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as Record<string, string>;
}

async function parleyRound(): Promise<PhaseResult[]> {
  const s = await benchServer({
    maxConnections: 4 * CLIENTS + 100,
    realtimeMaxConnections: 2 * CLIENTS,
    realtimeCommandsPerSecond: 10_000_000,
    realtimeCommandBurst: 10_000_000,
    realtimeClientTimeoutMs: 0,
    realtimeMaxBufferedBytes: 16 * 1024 * 1024,
  });
  try {
    const base = s.server.url;
    const V3 = `${base}/_matrix/client/v3`;
    const tokens = await pool(CLIENTS, 8, async (i) => {
      const r = await post(`${V3}/register`, undefined, { username: `u${i}`, password: 'pw' });
      return r.access_token!;
    });
    const room = await post(`${V3}/createRoom`, tokens[0], { preset: 'public_chat' });
    await pool(CLIENTS - 1, 8, (i) =>
      post(`${V3}/join/${encodeURIComponent(room.room_id!)}`, tokens[i + 1], {}),
    );
    const tickets = await pool(
      CLIENTS,
      16,
      async (i) => (await post(`${base}/_parley/v1/realtime/ticket`, tokens[i], {})).ticket!,
    );
    return await load({
      kind: 'parley',
      url: base,
      tickets,
      room: room.room_handle,
      clients: CLIENTS,
      phases: PHASES,
    });
  } finally {
    await s.stop();
  }
}

async function socketIoRound(): Promise<PhaseResult[]> {
  const http = createServer();
  const io = new SocketIoServer(http, { transports: ['websocket'], perMessageDeflate: false });
  io.on('connection', (socket) => {
    void Promise.resolve(socket.join('room')).then(() => socket.emit('joined'));
    socket.on('rt', (data: Buffer) => socket.to('room').emit('rt', data));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    return await load({
      kind: 'socketio',
      url,
      clients: CLIENTS,
      phases: PHASES,
      sioReceivers: SIO_RECEIVERS,
    });
  } finally {
    io.disconnectSockets(true);
    await new Promise<void>((r) => io.close(() => r()));
  }
}

const fmt = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

console.log(
  `broadcast: ${CLIENTS - 1} receivers + 1 sender, 1 KiB messages, Socket.IO receivers on ${SIO_RECEIVERS}; ${machine()}`,
);
const rows: { round: number; server: string; r: PhaseResult }[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  for (const [server, run] of [
    ['Parley', parleyRound],
    ['Socket.IO', socketIoRound],
  ] as const) {
    if (only !== undefined && only !== server) continue;
    for (const r of await run()) rows.push({ round, server, r });
  }
}
console.log('\n| round | server | phase | messages | deliveries/s | p50 | p99 | mean |');
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const { round, server, r } of rows) {
  console.log(
    `| ${round} | ${server} | ${r.name} | ${fmt(r.messages)} | ${fmt(r.deliveriesPerSec)} | ${fmt(r.p50Ms, 2)} ms | ${fmt(r.p99Ms, 2)} ms | ${fmt(r.meanMs, 2)} ms |`,
  );
}
if (only !== undefined) process.exit(0);
console.log(
  '\n| round | phase | Parley / Socket.IO deliveries/s | Socket.IO / Parley p50 | Socket.IO / Parley p99 |',
);
console.log('| --- | --- | ---: | ---: | ---: |');
for (let round = 1; round <= ROUNDS; round++) {
  for (const spec of PHASES.filter((p) => !p.discard)) {
    const p = rows.find((x) => x.round === round && x.server === 'Parley' && x.r.name === spec.name)!.r;
    const q = rows.find((x) => x.round === round && x.server === 'Socket.IO' && x.r.name === spec.name)!.r;
    console.log(
      `| ${round} | ${spec.name} | ${fmt(p.deliveriesPerSec / q.deliveriesPerSec, 2)}x | ${fmt(q.p50Ms / p.p50Ms, 2)}x | ${fmt(q.p99Ms / p.p99Ms, 2)}x |`,
    );
  }
}
process.exit(0);
