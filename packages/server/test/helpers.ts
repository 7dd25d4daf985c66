import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ParleyServer, type StartServerOptions, startServer } from '../src/index.js';
import { databaseUrlFor, releaseDatabase, TEST_BACKEND } from './test-database.js';

/**
 * A fresh temporary directory, removed by the returned `cleanup` (which also drops the
 * directory's PostgreSQL schema in the `server-pg` run; await it when that matters).
 */
export function tempDir(prefix = 'parley-test-'): { dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
      return releaseDatabase(dir);
    },
  };
}

/** The database settings of a test server on `dir`: none on SQLite, its own schema on PostgreSQL. */
async function testDatabase(dir: string, options: StartServerOptions): Promise<StartServerOptions> {
  if (TEST_BACKEND === 'sqlite' || options.database !== undefined) return {};
  return { database: await databaseUrlFor(dir), databasePoolSize: 4 };
}

/** The server name test servers use. */
export const TEST_SERVER_NAME = 'test.local';

/** Starts an in-process server on 127.0.0.1, port 0, a temp data dir, silent, fast scrypt. */
export async function startTestServer(
  options: StartServerOptions = {},
): Promise<{ server: ParleyServer; dir: string; stop: () => Promise<void> }> {
  const t = options.dataDir ? { dir: options.dataDir, cleanup: async () => {} } : tempDir();
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    serverName: TEST_SERVER_NAME,
    logLevel: 'silent',
    scryptCost: 10,
    loginBurst: 10_000,
    loginPerMinute: 10_000,
    ...(await testDatabase(t.dir, options)),
    ...options,
    dataDir: t.dir,
  });
  return {
    server,
    dir: t.dir,
    stop: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

/** A response: status and parsed JSON body (or the raw text when it is not JSON). */
export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON answers
  json: any;
  text: string;
  headers: Headers;
}

/** Options of {@link call}. */
export interface CallOptions {
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is. */
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** One HTTP request to `base`. */
export async function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  let body: string | Uint8Array | undefined = o.raw;
  if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

export const V3 = '/_matrix/client/v3';

/** A registered user. */
export interface TestUser {
  userId: string;
  token: string;
  deviceId: string;
  handle: string;
}

/** Registers `username` with password `pw-<username>`. */
export async function register(base: string, username: string, deviceId?: string): Promise<TestUser> {
  const r = await call(base, 'POST', `${V3}/register`, {
    body: { username, password: `pw-${username}`, ...(deviceId ? { device_id: deviceId } : {}) },
  });
  if (r.status !== 200) throw new Error(`register ${username}: ${r.status} ${r.text}`);
  return {
    userId: r.json.user_id,
    token: r.json.access_token,
    deviceId: r.json.device_id,
    handle: r.json.user_handle,
  };
}

/** `/rooms/{roomId}` with the id percent-encoded. */
export const roomPath = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`;

/**
 * Node arguments that run the CLI from its TypeScript source (through tsx, with the
 * `@parley/source` condition), so tests need no build. The tsx loader is given by absolute URL
 * so the child may run in any working directory.
 */
export function cliArgs(...args: string[]): string[] {
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json');
  const tsx = pathToFileURL(join(dirname(tsxPackage), 'dist/loader.mjs')).href;
  const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  return ['--conditions=@parley/source', '--import', tsx, cli, ...args];
}

/** A `parley serve` child process. */
export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the child wrote to stdout so far. */
  output: () => string;
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `parley serve ARGS` from source and waits for its "listening on" line. */
export async function spawnServer(args: string[], env: Record<string, string> = {}): Promise<ServerProcess> {
  // On PostgreSQL a data dir stands for its schema too, so a restart on it finds its data.
  const at = args.indexOf('--data-dir');
  const dataDir = (at >= 0 ? args[at + 1] : undefined) ?? './data';
  const database =
    TEST_BACKEND === 'postgres' && !args.includes('--database') && env.PARLEY_DATABASE === undefined
      ? { PARLEY_DATABASE: await databaseUrlFor(dataDir), PARLEY_DATABASE_POOL_SIZE: '4' }
      : {};
  const child = spawn(process.execPath, cliArgs('serve', '--port', '0', ...args), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PARLEY_SCRYPT_COST: '10', PARLEY_LOG_LEVEL: 'warn', ...database, ...env },
  });
  return { child, ...(await untilListening(child)) };
}

/**
 * Collects a `parley serve` child's output and waits for its "listening on" line; rejects with
 * its stderr when it exits first.
 */
export async function untilListening(
  child: ChildProcess,
): Promise<Omit<ServerProcess, 'child'> & { stderr: () => string }> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /parley: listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code }) =>
      reject(new Error(`parley serve exited (${code}) before listening: ${err}`)),
    );
  });
  return { url, output: () => out, stderr: () => err, exited };
}
