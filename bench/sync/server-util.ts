/**
 * Shared pieces of the server-side sync benchmarks: an in-process server on a temp data dir,
 * seeding through `RoomService` (signed events, real SQLite), an HTTP client on loopback, stats.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SyncResponseBody } from '@parley/core';
import { type ParleyServer, type StartServerOptions, startServer } from '../../packages/server/src/index.js';

setFlagsFromString('--expose-gc');
/** A full garbage collection. */
export const gc = runInNewContext('gc') as () => void;

export const quick = process.argv.includes('--quick');

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/** The `p`-th percentile of `xs`. */
export function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

/** Milliseconds for a table cell. */
export const fmt = (ms: number): string =>
  ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`;

/** The machine line printed before the tables. */
export function machine(): string {
  return `${os.cpus().length}-core ${os.arch()} (${os.cpus()[0]?.model.trim()}), Node ${process.version}`;
}

/** A server on a fresh temp dir, stopped and removed by `stop`. */
export async function benchServer(
  options: StartServerOptions = {},
): Promise<{ server: ParleyServer; dir: string; stop: () => Promise<void> }> {
  const dir = options.dataDir ?? mkdtempSync(join(os.tmpdir(), 'parley-bench-sync-'));
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
    maxConnections: 10_000,
    // Seeding leaves the client's kept-alive connection idle for minutes.
    keepAliveTimeoutMs: 3_600_000,
    ...options,
    dataDir: dir,
  });
  return {
    server,
    dir,
    stop: async () => {
      await server.close();
      if (options.dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A registered user. */
export interface BenchUser {
  userId: string;
  deviceId: string;
  token: string;
}

/** One JSON request to the server. */
export async function request(
  base: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: benchmark convenience for JSON answers
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  return { status: res.status, json };
}

/** Registers `username` (device `deviceId`). */
export async function registerUser(base: string, username: string, deviceId = 'BENCH'): Promise<BenchUser> {
  const r = await request(base, 'POST', '/_matrix/client/v3/register', undefined, {
    username,
    password: `pw-${username}`,
    device_id: deviceId,
  });
  if (r.status !== 200) throw new Error(`register: ${r.status} ${JSON.stringify(r.json)}`);
  return { userId: r.json.user_id, deviceId: r.json.device_id, token: r.json.access_token };
}

/** `POST /sync`; throws unless 200. */
export async function syncOnce(
  base: string,
  who: BenchUser,
  since: string | undefined,
  body: unknown,
  timeout?: number,
): Promise<SyncResponseBody> {
  const q = new URLSearchParams();
  if (since !== undefined) q.set('since', since);
  if (timeout !== undefined) q.set('timeout', String(timeout));
  const r = await request(base, 'POST', `/_matrix/client/v3/sync?${q}`, who.token, body);
  if (r.status !== 200) throw new Error(`sync: ${r.status} ${JSON.stringify(r.json)}`);
  return r.json as SyncResponseBody;
}

/**
 * Creates `n` rooms for `owner` through `RoomService` (the HTTP API's own path, without HTTP:
 * signed v11 events, authorization, SQLite commits), then sends `messages` messages to random
 * rooms so that recency differs from creation order.
 */
export async function seedRooms(
  server: ParleyServer,
  owner: BenchUser,
  n: number,
  messages: number,
): Promise<string[]> {
  let seed = n >>> 0;
  const next = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed;
  };
  const rooms: string[] = [];
  for (let i = 0; i < n; i++) {
    const room = await server.rooms.createRoom(owner.userId, {
      preset: 'private_chat',
      name: `Room ${next().toString(36)}`,
      invite: [],
    });
    rooms.push(room.roomId);
  }
  for (let i = 0; i < messages; i++) {
    const roomId = rooms[next() % rooms.length] as string;
    await server.rooms.send(
      roomId,
      owner.userId,
      'm.room.message',
      { msgtype: 'm.text', body: `m${i}` },
      {
        userId: owner.userId,
        deviceId: owner.deviceId,
        txnId: `seed${i}`,
      },
    );
  }
  return rooms;
}
