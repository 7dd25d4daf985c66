/**
 * The database the server tests run on. The `server` vitest project runs them on SQLite (a file
 * in each test's data dir); the `server-pg` project sets `PARLEY_TEST_DATABASE=postgres` and
 * runs the same tests on PostgreSQL, one schema per data dir, so a restart on the same data dir
 * finds its data and test files can run in parallel. A schema is dropped with its data dir
 * (`tempDir().cleanup`), and at the latest when its test file ends; `pg-global-setup.ts` checks
 * at the end of the run that no schema or connection of the run is left.
 */
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import { PG_MIGRATIONS } from '../src/storage/postgres/pg-migrations.js';
import { PostgresStorage } from '../src/storage/postgres/postgres-storage.js';
import { SqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../src/storage/storage.js';
import { PG_TEST_URL, pgRunPrefix } from './pg-test-url.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The id the schemas of one `server-pg` run start with (after `parley_t_`). */
    parleyPgRun: string;
  }
}

/** The backend the server tests use. */
export const TEST_BACKEND: 'sqlite' | 'postgres' =
  process.env.PARLEY_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

const run = TEST_BACKEND === 'postgres' ? (inject('parleyPgRun') ?? `p${process.pid}`) : '';
const schemas = new Map<string, Promise<string>>();
const emptied: Promise<string>[] = [];
const broken: string[] = [];
const releasing = new Set<Promise<void>>();
let admin: pg.Pool | undefined;

function adminPool(): pg.Pool {
  admin ??= new pg.Pool({ connectionString: PG_TEST_URL, max: 2, application_name: 'parley-test-admin' });
  return admin;
}

/** The URL of `schema`: every pooled connection gets it as its `search_path`. */
export function schemaUrl(schema: string): string {
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  // The leak check of pg-global-setup.ts finds a run's connections by this name.
  url.searchParams.set('application_name', schema);
  return url.toString();
}

/**
 * The database URL of the server whose data dir is `dir` (PostgreSQL only): a schema of its own,
 * empty. A released schema is emptied and handed to the next data dir of the same test file:
 * creating and migrating a schema costs hundreds of milliseconds on the 2-core CI machine,
 * emptying one a few.
 */
export async function databaseUrlFor(dir: string): Promise<string> {
  let schema = schemas.get(dir);
  if (schema === undefined) {
    const reused = emptied.pop();
    schema = reused ?? createSchema();
    schemas.set(dir, schema);
  }
  return schemaUrl(await schema);
}

async function createSchema(): Promise<string> {
  const name = pgRunPrefix(run) + randomBytes(4).toString('hex');
  await adminPool().query(`CREATE SCHEMA ${name}`);
  return name;
}

/**
 * Deletes every row of the schema's tables but the migration log (newest table first, so rows
 * go before the rows they reference) and resets the stream counter: what a fresh migration
 * leaves. Returns false, changing nothing, when the schema is not one the current migrations
 * made (a test wrote its migration log): it is dropped instead.
 */
async function emptySchema(name: string): Promise<boolean> {
  const db = adminPool();
  const { rows } = await db.query<{ n: number }>(
    'SELECT COUNT(*)::int AS n FROM pg_tables WHERE schemaname = $1',
    [name],
  );
  if (rows[0]!.n === 0) return true;
  const log = await db
    .query<{ version: number }>(`SELECT version FROM ${name}.schema_migrations ORDER BY version`)
    .catch(() => ({ rows: [] as { version: number }[] }));
  const expected = PG_MIGRATIONS.map((m) => m.version);
  if (log.rows.map((r) => r.version).join() !== expected.join()) return false;
  await db.query(`DO $$
    DECLARE t text;
    BEGIN
      FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = '${name}' AND c.relkind = 'r'
          AND c.relname NOT IN ('schema_migrations', 'stream_position')
        ORDER BY c.oid DESC
      LOOP
        EXECUTE format('DELETE FROM %I.%I', '${name}', t);
      END LOOP;
      EXECUTE format('UPDATE %I.stream_position SET pos = 0', '${name}');
    END $$`);
  return true;
}

/** Gives back the schema of `dir` (emptied, for the next data dir), if it has one. */
export function releaseDatabase(dir: string): Promise<void> {
  const schema = schemas.get(dir);
  if (schema === undefined) return Promise.resolve();
  schemas.delete(dir);
  const release = schema.then(async (name) => {
    let reusable = false;
    try {
      reusable = await emptySchema(name);
    } finally {
      if (reusable) emptied.push(Promise.resolve(name));
      else broken.push(name);
    }
  });
  const tracked = release.finally(() => releasing.delete(tracked));
  releasing.add(tracked);
  return tracked;
}

/** Opens the storage of data dir `dir` on the backend under test (SQLite, or its PostgreSQL schema). */
export async function openTestStorage(dir: string, options: { poolSize?: number } = {}): Promise<Storage> {
  if (TEST_BACKEND === 'sqlite')
    return SqliteStorage.open({ path: `${dir}/parley.db`, synchronous: 'normal' });
  return PostgresStorage.open({ url: await databaseUrlFor(dir), poolSize: options.poolSize ?? 4 });
}

/**
 * Reads rows from the database of the server whose data dir is `dir`, on either backend. Write
 * `?` for parameters.
 */
export async function queryRows<T>(dir: string, sql: string, ...params: unknown[]): Promise<T[]> {
  if (TEST_BACKEND === 'sqlite') {
    const db = new Database(`${dir}/parley.db`, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  }
  let n = 0;
  const client = new pg.Client({ connectionString: await databaseUrlFor(dir) });
  await client.connect();
  try {
    return (
      await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params,
      )
    ).rows as T[];
  } finally {
    await client.end();
  }
}

if (TEST_BACKEND === 'postgres') {
  // Registered on the root suite of every test file that imports this module (via helpers.ts).
  afterAll(async () => {
    await Promise.allSettled(releasing);
    const names = await Promise.all([...schemas.values(), ...emptied, ...broken]);
    schemas.clear();
    emptied.length = 0;
    broken.length = 0;
    const leaked = await openConnections(names);
    for (const c of leaked) await adminPool().query('SELECT pg_terminate_backend($1)', [c.pid]);
    for (const name of names) await adminPool().query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await admin?.end();
    admin = undefined;
    if (leaked.length > 0) {
      throw new Error(
        `this test file left ${leaked.length} PostgreSQL connection(s) open (a storage or server not closed): ` +
          leaked.map((c) => c.name).join(', '),
      );
    }
  });
}

/**
 * The connections still open on `schemas` (each test connection is named after its schema).
 * Those of a server process killed a moment ago close shortly after it, so this waits up to 3 s.
 */
async function openConnections(schemas: string[]): Promise<{ pid: number; name: string }[]> {
  if (schemas.length === 0) return [];
  const query = async () =>
    (
      await adminPool().query<{ pid: number; name: string }>(
        'SELECT pid, application_name AS name FROM pg_stat_activity WHERE application_name = ANY($1::text[])',
        [schemas],
      )
    ).rows;
  let open = await query();
  for (let i = 0; i < 30 && open.length > 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    open = await query();
  }
  return open;
}
