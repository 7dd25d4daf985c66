/**
 * Helpers of the scale-out tests: several server instances on one PostgreSQL schema and one
 * Redis, with a Redis key prefix of their own per test file (so files run in parallel and leave
 * nothing behind: {@link RedisScope.cleanup} deletes the prefix and reports what was left).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ParleyServer, StartServerOptions } from '../../src/index.js';
import { startTestServer, tempDir } from '../helpers.js';
import { databaseUrlFor } from '../test-database.js';

/** The Redis the tests use (CI: the local service). */
export const REDIS_TEST_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A Redis key prefix for one test file, and the cleanup of everything under it. */
export class RedisScope {
  readonly prefix = `parley-test:${randomBytes(4).toString('hex')}:`;
  readonly redis = new Redis(REDIS_TEST_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });

  /** Keys under the prefix right now. */
  async keys(): Promise<string[]> {
    if (this.redis.status !== 'ready') await this.redis.connect();
    const out: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}*`, 'COUNT', 1000);
      out.push(...found);
      cursor = next;
    } while (cursor !== '0');
    return out;
  }

  /** Deletes every key under the prefix; returns the keys that were there. */
  async cleanup(): Promise<string[]> {
    const keys = await this.keys();
    if (keys.length > 0) await this.redis.del(...keys);
    await this.redis.quit();
    return keys;
  }
}

/** Settings of a test instance in the cluster. */
export function clusterSettings(scope: RedisScope, ttlMs = 2000): Partial<StartServerOptions> {
  return {
    redis: REDIS_TEST_URL,
    clusterKeyPrefix: scope.prefix,
    clusterPresenceTtlMs: ttlMs,
    clusterCatchUpIntervalMs: 500,
  };
}

/** Instances started in this process on one schema (a shared data dir: one signing key). */
export class InProcessCluster {
  readonly dir = tempDir('parley-cluster-');
  readonly servers: ParleyServer[] = [];
  readonly #scope: RedisScope;

  constructor(scope: RedisScope) {
    this.#scope = scope;
  }

  /** Starts one more instance (they start one after another: the first creates the key). */
  async start(options: Partial<StartServerOptions> = {}): Promise<ParleyServer> {
    const { server } = await startTestServer({
      dataDir: this.dir.dir,
      database: await databaseUrlFor(this.dir.dir),
      databasePoolSize: 4,
      ...clusterSettings(this.#scope),
      ...options,
    });
    this.servers.push(server);
    return server;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.splice(0).map((s) => s.close()));
    await this.dir.cleanup();
  }
}
