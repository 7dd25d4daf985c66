import pg from 'pg';

/** Options of {@link PostgresStorage.open}. */
export interface PostgresOptions {
  /**
   * A libpq connection URL, `postgres://user@host:port/db`. Query parameters pass through to
   * the server, e.g. `?options=-c%20search_path%3Dparley` to keep the tables in a schema of
   * their own (the schema must exist).
   */
  url: string;
  /** Connections the pool keeps at most (default 10). Queries beyond it wait for a free one. */
  poolSize?: number;
  /**
   * How long a query may wait for a connection, including opening it (default 10 s); then it
   * fails instead of hanging the request.
   */
  connectTimeoutMs?: number;
  /**
   * How long a query may take (default 30 s): the server cancels it past this
   * (`statement_timeout`), and the client gives up on a database that stopped answering
   * (a hung network) and drops the connection. 0: no limit.
   */
  queryTimeoutMs?: number;
  /** Shown in `pg_stat_activity` (default `parley`) unless the URL sets `application_name`. */
  applicationName?: string;
}

const INT8_OID = 20;

// BIGINT columns (stream orderings, millisecond timestamps, counts) come back as strings by
// default; every one Parley stores is far below 2^53, so numbers are exact.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

/** A pg pool for Parley's storage. Idle connections close after 10 s. */
export function createPool(options: PostgresOptions): pg.Pool {
  const hasAppName = /[?&]application_name=/.test(options.url);
  const queryTimeout = options.queryTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 10_000,
    // 0 turns both off (migrations, which may rightly take long on a big database).
    statement_timeout: queryTimeout,
    // A little later than the server's own timeout, so a slow query gets the server's error.
    query_timeout: queryTimeout === 0 ? 0 : queryTimeout + 1_000,
    keepAlive: true,
    ...(hasAppName ? {} : { application_name: options.applicationName ?? 'parley' }),
    types,
  });
  // A connection that breaks while idle in the pool must not crash the process; the pool drops
  // it and the next query opens a new one.
  pool.on('error', () => {});
  return pool;
}

/**
 * Runs `fn` in a transaction on one pooled connection: COMMIT when it resolves (so the caller's
 * promise resolves only after the commit), ROLLBACK when it throws. A connection whose ROLLBACK
 * fails is destroyed rather than returned to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackErr) {
      broken = rollbackErr as Error;
    }
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The SQLSTATE of a unique violation. */
export const UNIQUE_VIOLATION = '23505';

/** True when `err` is a PostgreSQL error with SQLSTATE `code`. */
export function isPgError(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
