import type pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers.js';
import { PG_TEST_URL } from '../../../test/pg-test-url.js';
import { databaseUrlFor, queryRows } from '../../../test/test-database.js';
import { openStorage, redactDatabaseUrl } from '../open-storage.js';
import { MIGRATIONS } from '../sqlite/migrations.js';
import { applyPgMigrations, PG_MIGRATIONS } from './pg-migrations.js';
import { createPool } from './pg-pool.js';
import { PostgresStorage } from './postgres-storage.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A fresh schema: its data dir and URL. */
async function schema(): Promise<{ dir: string; url: string }> {
  const t = tempDir('parley-pg-');
  cleanups.push(t.cleanup);
  return { dir: t.dir, url: await databaseUrlFor(t.dir) };
}

function pool(url: string, poolSize = 2): pg.Pool {
  const p = createPool({ url, poolSize });
  cleanups.push(() => p.end());
  return p;
}

describe('PostgreSQL migrations', () => {
  it('has one migration per SQLite migration, with the same version and name', () => {
    expect(PG_MIGRATIONS.map((m) => [m.version, m.name])).toEqual(MIGRATIONS.map((m) => [m.version, m.name]));
  });

  it('applies each migration once when several instances start at the same time', async () => {
    const { dir, url } = await schema();
    const storages = await Promise.all(
      Array.from({ length: 5 }, () => PostgresStorage.open({ url, poolSize: 1 })),
    );
    for (const s of storages) cleanups.push(() => s.close());
    const rows = await queryRows<{ version: number }>(
      dir,
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    await storages[0]!.setMeta('k', 'v');
    expect(await storages[4]!.getMeta('k')).toBe('v');
  });

  it('refuses a schema written by a newer server', async () => {
    const { url } = await schema();
    const p = pool(url);
    expect(await applyPgMigrations(p)).toBe(PG_MIGRATIONS.length);
    expect(await applyPgMigrations(p)).toBe(PG_MIGRATIONS.length);
    await p.query(`INSERT INTO schema_migrations (version, name, applied_ts) VALUES (999, 'future', 0)`);
    await expect(applyPgMigrations(p)).rejects.toThrow(/newer than this server supports/);
    await expect(PostgresStorage.open({ url })).rejects.toThrow(/newer than this server supports/);
  });

  it('rolls back a failing migration as a whole', async () => {
    const { dir, url } = await schema();
    const p = pool(url);
    await applyPgMigrations(p);
    const broken = [
      ...PG_MIGRATIONS,
      { version: PG_MIGRATIONS.length + 1, name: 'ok', sql: 'CREATE TABLE extra (x INTEGER)' },
      { version: PG_MIGRATIONS.length + 2, name: 'bad', sql: 'CREATE TABLE broken (' },
    ];
    await expect(applyPgMigrations(p, broken)).rejects.toThrow(/syntax error/);
    expect(await queryRows(dir, "SELECT 1 FROM pg_tables WHERE tablename = 'extra'")).toEqual([]);
    const versions = await queryRows<{ v: number }>(dir, 'SELECT MAX(version) AS v FROM schema_migrations');
    expect(versions).toEqual([{ v: PG_MIGRATIONS.length }]);
  });

  it('says so when the search_path names no existing schema', async () => {
    const url = new URL(PG_TEST_URL);
    url.searchParams.set('options', '-c search_path=parley_no_such_schema');
    await expect(PostgresStorage.open({ url: url.toString() })).rejects.toThrow(
      /no schema on the search_path/,
    );
  });
});

describe('PostgreSQL pool', () => {
  it('keeps at most poolSize connections, the rest of the queries wait', async () => {
    const { url } = await schema();
    const s = await PostgresStorage.open({ url, poolSize: 2 });
    cleanups.push(() => s.close());
    let most = 0;
    const queries = Array.from({ length: 6 }, async () => {
      const q = s.pool.query('SELECT pg_sleep(0.05)');
      most = Math.max(most, s.pool.totalCount);
      await q;
    });
    await Promise.all(queries);
    expect(most).toBeLessThanOrEqual(2);
    expect(s.pool.totalCount).toBeLessThanOrEqual(2);
  });

  it('fails a query that waits longer than connectTimeoutMs for a connection', async () => {
    const { url } = await schema();
    const s = await PostgresStorage.open({ url, poolSize: 1, connectTimeoutMs: 200 });
    cleanups.push(() => s.close());
    const held = await s.pool.connect();
    try {
      await expect(s.ping()).rejects.toThrow(/timeout/i);
    } finally {
      held.release();
    }
    await expect(s.ping()).resolves.toBeUndefined();
  });

  it('closes every connection on close, even twice', async () => {
    const { url } = await schema();
    const s = await PostgresStorage.open({ url, poolSize: 3 });
    await Promise.all([s.ping(), s.ping(), s.ping()]);
    await Promise.all([s.close(), s.close()]);
    expect(s.pool.totalCount).toBe(0);
  });
});

describe('openStorage with a postgres:// URL', () => {
  it('opens PostgreSQL with the configured pool size', async () => {
    const { url } = await schema();
    const s = await openStorage({
      dataDir: '/nonexistent',
      database: url,
      sqliteSynchronous: 'full',
      databasePoolSize: 3,
    });
    cleanups.push(() => s.close());
    expect(s).toBeInstanceOf(PostgresStorage);
    expect((s as unknown as PostgresStorage).pool.options.max).toBe(3);
    await s.ping();
  });

  it('names an unreachable database without its password', async () => {
    const err = await openStorage({
      dataDir: '/nonexistent',
      database: 'postgres://u:s3cret@127.0.0.1:1/db',
      sqliteSynchronous: 'full',
    }).catch((e: Error) => e);
    expect(String(err)).toMatch(/cannot open PostgreSQL database postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
    expect(String(err)).not.toContain('s3cret');
    expect(redactDatabaseUrl('postgresql://u@h/db')).toBe('postgresql://u@h/db');
  });
});
