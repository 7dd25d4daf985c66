/**
 * Federation on loopback, in one process (real HTTP, real SQLite, real ed25519): how fast a server
 * that was down catches up, and how fast a newly joined server pages history in.
 *
 *   npx tsx --conditions=@parley/source bench/federation/federation.ts [--quick]
 *
 * 1. catch-up from queues: B is stopped, A sends N events (A's queue holds them all), B restarts;
 *    time until B holds all N (A's retry timer and B's first request wake the queue).
 * 2. catch-up by fetching: the same, but A keeps only 1 event per destination, so B receives the
 *    last one and fetches the N-1 before it (get_missing_events, 20 per round trip).
 * 3. backfill: C joins after the 2N events and pages all of them in through /messages (limit 100).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { type ParleyServer, type StartServerOptions, startServer } from '../../packages/server/src/index.js';

const quick = process.argv.includes('--quick');
const N = quick ? 50 : 200;
const dirs: string[] = [];

async function start(name: string, extra: Partial<StartServerOptions> = {}): Promise<ParleyServer> {
  const dataDir = extra.dataDir ?? mkdtempSync(join(os.tmpdir(), `parley-fedbench-${name}-`));
  if (!dirs.includes(dataDir)) dirs.push(dataDir);
  return startServer({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    scryptCost: 10,
    loginBurst: 1e6,
    loginPerMinute: 1e6,
    sqliteSynchronous: 'normal',
    messagesMaxLimit: 10_000,
    federationRetryInitialMs: 50,
    federationRetryMaxMs: 200,
    federationFetchWaitMs: 0,
    federationGapWalkLimit: 10_000,
    ...extra,
    dataDir,
  });
}

// biome-ignore lint/suspicious/noExplicitAny: JSON answers of the client API, read field by field
type Json = any;

async function call(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Json> {
  const r = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return r.json();
}
const V3 = '/_matrix/client/v3';
const register = (s: ParleyServer, u: string) =>
  call(s.url, 'POST', `${V3}/register`, undefined, { username: u, password: `pw-${u}` });
const login = (url: string, u: string) =>
  call(url, 'POST', `${V3}/login`, undefined, {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: u },
    password: `pw-${u}`,
  });

async function countMessages(url: string, token: string, roomId: string): Promise<number> {
  let from: string | undefined;
  let n = 0;
  for (let p = 0; p < 1000; p++) {
    const q = `dir=b&limit=100${from ? `&from=${from}` : ''}`;
    const r = await call(url, 'GET', `${V3}/rooms/${encodeURIComponent(roomId)}/messages?${q}`, token);
    n += r.chunk.filter((e: { type: string }) => e.type === 'm.room.message').length;
    if (!r.end) break;
    from = r.end;
  }
  return n;
}

async function waitCount(url: string, token: string, roomId: string, want: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    // Newest page only: counting all pages would trigger backfill.
    const r = await call(
      url,
      'GET',
      `${V3}/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=1000`,
      token,
    );
    const n = r.chunk.filter((e: { type: string }) => e.type === 'm.room.message').length;
    if (n >= want) return performance.now() - t0;
    if (performance.now() - t0 > 120_000) throw new Error(`only ${n} of ${want}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

async function sendMany(
  s: ParleyServer,
  token: string,
  roomId: string,
  n: number,
  tag: string,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    await call(
      s.url,
      'PUT',
      `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${tag}${i}`,
      token,
      {
        msgtype: 'm.text',
        body: `${tag} ${i}`,
      },
    );
  }
}

async function scenario(queueMax: number, label: string): Promise<{ label: string; ms: number; n: number }> {
  const a = await start('a', { federationQueueMaxPdus: queueMax });
  let b = await start('b');
  const ua = await register(a, 'alice');
  const ub = await register(b, 'bob');
  const { room_id: roomId } = await call(a.url, 'POST', `${V3}/createRoom`, ua.access_token, {
    preset: 'public_chat',
  });
  await call(
    b.url,
    'POST',
    `${V3}/join/${encodeURIComponent(roomId)}?server_name=${a.serverName}`,
    ub.access_token,
    {},
  );
  const bPort = b.port;
  const bDir = b.config.dataDir;
  await b.close();
  await sendMany(a, ua.access_token, roomId, N, 'm');
  const t0 = performance.now();
  b = await start('b', { port: bPort, dataDir: bDir, serverName: `127.0.0.1:${bPort}` });
  const token = (await login(b.url, 'bob')).access_token;
  await waitCount(b.url, token, roomId, N);
  const ms = performance.now() - t0;
  await Promise.all([a.close(), b.close()]);
  return { label, ms, n: N };
}

async function backfill(): Promise<{ ms: number; n: number }> {
  const a = await start('a');
  const c = await start('c');
  const ua = await register(a, 'alice');
  const uc = await register(c, 'carol');
  const { room_id: roomId } = await call(a.url, 'POST', `${V3}/createRoom`, ua.access_token, {
    preset: 'public_chat',
  });
  await sendMany(a, ua.access_token, roomId, 2 * N, 'h');
  await call(
    c.url,
    'POST',
    `${V3}/join/${encodeURIComponent(roomId)}?server_name=${a.serverName}`,
    uc.access_token,
    {},
  );
  const t0 = performance.now();
  const n = await countMessages(c.url, uc.access_token, roomId);
  const ms = performance.now() - t0;
  if (n !== 2 * N) throw new Error(`backfilled ${n} of ${2 * N}`);
  await Promise.all([a.close(), c.close()]);
  return { ms, n };
}

const rows: string[] = [];
for (const [q, label] of [
  [10_000, 'catch-up from the sender queue'],
  [1, 'catch-up by fetching (queue of 1)'],
] as const) {
  const r = await scenario(q, label);
  rows.push(`| ${r.label} | ${r.n} | ${r.ms.toFixed(0)} ms | ${((r.n / r.ms) * 1000).toFixed(0)} events/s |`);
}
const bf = await backfill();
rows.push(
  `| backfill through /messages (limit 100) | ${bf.n} | ${bf.ms.toFixed(0)} ms | ${((bf.n / bf.ms) * 1000).toFixed(0)} events/s |`,
);
console.log(`Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'})`);
console.log('| run | events | time | rate |\n| --- | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
for (const d of dirs) rmSync(d, { recursive: true, force: true });
