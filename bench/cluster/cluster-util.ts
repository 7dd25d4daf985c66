/**
 * Helpers of the cluster benchmarks: `parley serve` instances as child processes from the
 * sources (each with its own event loop, as in production), a fresh PostgreSQL schema and a
 * Redis key prefix per configuration, removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SERVER = fileURLToPath(new URL('../../packages/server/', import.meta.url));
// pg and ioredis are the server package's dependencies; the few calls used here are typed here.
interface PgClient {
  connect(): Promise<void>;
  query(sql: string): Promise<unknown>;
  end(): Promise<void>;
}
interface RedisClient {
  scan(cursor: string, ...args: (string | number)[]): Promise<[string, string[]]>;
  del(...keys: string[]): Promise<number>;
  quit(): Promise<unknown>;
}
const serverRequire = createRequire(join(SERVER, 'package.json'));
const pg = serverRequire('pg') as { Client: new (o: { connectionString: string }) => PgClient };
const { Redis } = serverRequire('ioredis') as { Redis: new (url: string) => RedisClient };

export const PG_URL = process.env.PARLEY_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.PARLEY_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function machine(): string {
  return `${os.cpus().length}-core ${os.arch()} (${os.cpus()[0]?.model.trim()}), Node ${process.version}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`;
}

/** A place for one configuration's instances: a data dir, a PostgreSQL schema, a Redis prefix. */
export class BenchCluster {
  readonly dir = mkdtempSync(join(os.tmpdir(), 'parley-bench-cluster-'));
  readonly schema = `parley_bench_${randomBytes(4).toString('hex')}`;
  readonly prefix = `parley-bench:${randomBytes(4).toString('hex')}:`;
  readonly children: ChildProcess[] = [];
  #created = false;

  get databaseUrl(): string {
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${this.schema}`);
    return url.toString();
  }

  /** Starts one instance; `redis` false for the single-node baseline (PostgreSQL only). */
  async start(redis: boolean, env: Record<string, string> = {}): Promise<string> {
    if (!this.#created) {
      await admin((c) => c.query(`CREATE SCHEMA ${this.schema}`));
      this.#created = true;
    }
    const tsx = pathToFileURL(
      join(dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist/loader.mjs'),
    );
    const args = ['--conditions=@parley/source', '--import', tsx.href, join(SERVER, 'src/cli.ts')];
    const child = spawn(
      process.execPath,
      [...args, 'serve', '--port', '0', '--data-dir', this.dir, '--server-name', 'bench.cluster'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          PARLEY_DATABASE: this.databaseUrl,
          PARLEY_DATABASE_POOL_SIZE: '8',
          PARLEY_LOG_LEVEL: 'warn',
          PARLEY_SCRYPT_COST: '10',
          PARLEY_LOGIN_BURST: '1000000',
          PARLEY_LOGIN_PER_MINUTE: '1000000',
          PARLEY_MAX_IN_FLIGHT: '10000',
          ...(redis ? { PARLEY_REDIS: REDIS_URL, PARLEY_CLUSTER_KEY_PREFIX: this.prefix } : {}),
          ...env,
        },
      },
    );
    this.children.push(child);
    let out = '';
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`parley serve exited with ${code}`)));
    });
  }

  /** Stops the instances, drops the schema and the Redis keys, removes the data dir. */
  async close(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
            setTimeout(() => c.kill('SIGKILL'), 15_000).unref();
          }),
      ),
    );
    if (this.#created) await admin((c) => c.query(`DROP SCHEMA ${this.schema} CASCADE`));
    const r = new Redis(REDIS_URL);
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await r.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await r.quit();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function admin<T>(fn: (c: PgClient) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Runs `task` for 0..n-1 with at most `limit` at once. */
export async function pool<T>(n: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) out[i] = await task(i);
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

/** A POST with JSON; the parsed answer, or throws. */
export async function post(
  url: string,
  token: string | undefined,
  body: unknown,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const r = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  return (await r.json()) as Record<string, string>;
}

export const fmt = (n: number, d = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
