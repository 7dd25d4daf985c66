import type pg from 'pg';
import type { Migration } from '../sqlite/migrations.js';
import { PG_FEDERATION_MIGRATION_SQL } from './pg-federation.js';
import { inTransaction } from './pg-pool.js';
import { PG_REALTIME_TABLES_SQL } from './pg-realtime.js';
import { PG_SYNC_MIGRATION_SQL } from './pg-sync.js';

/**
 * The PostgreSQL schema, one migration per SQLite migration with the same version and name
 * (`pg-migrations.test.ts` checks the two lists match), so both backends are at "version N"
 * with the same tables. The SQL differs by dialect: BIGINT for timestamps and stream
 * orderings, `COLLATE "C"` on ids that queries sort by (SQLite compares bytes; a database's
 * default collation may not), and a one-row counter for stream orderings instead of
 * AUTOINCREMENT (see `appendEvent`).
 */
export const PG_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, tokens, rooms, events, state',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      CREATE TABLE handles (handle TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL UNIQUE);

      CREATE TABLE users (
        user_id TEXT COLLATE "C" PRIMARY KEY,
        localpart TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        handle TEXT NOT NULL UNIQUE REFERENCES handles(handle),
        created_ts BIGINT NOT NULL
      );
      CREATE TABLE devices (
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(user_id),
        device_id TEXT COLLATE "C" NOT NULL,
        created_ts BIGINT NOT NULL,
        PRIMARY KEY (user_id, device_id)
      );
      CREATE TABLE access_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL,
        device_id TEXT COLLATE "C" NOT NULL,
        created_ts BIGINT NOT NULL,
        FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id)
      );

      CREATE TABLE rooms (
        room_id TEXT COLLATE "C" PRIMARY KEY,
        handle TEXT NOT NULL UNIQUE REFERENCES handles(handle),
        room_version TEXT NOT NULL,
        creator TEXT NOT NULL,
        created_ts BIGINT NOT NULL
      );
      -- The newest stream ordering handed out. Every append takes it with UPDATE ... RETURNING,
      -- which holds the row until commit: orderings become visible in commit order across all
      -- instances (as with SQLite's single writer), so a reader that has seen n has seen
      -- everything <= n. A rolled-back append rolls the counter back too: no value is reused.
      CREATE TABLE stream_position (
        only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
        pos BIGINT NOT NULL
      );
      INSERT INTO stream_position (pos) VALUES (0);
      CREATE TABLE events (
        stream_ordering BIGINT PRIMARY KEY,
        event_id TEXT COLLATE "C" NOT NULL UNIQUE,
        room_id TEXT COLLATE "C" NOT NULL REFERENCES rooms(room_id),
        type TEXT NOT NULL,
        state_key TEXT,
        sender TEXT NOT NULL,
        depth BIGINT NOT NULL,
        origin_server_ts BIGINT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
      CREATE TABLE event_edges (
        event_id TEXT COLLATE "C" NOT NULL,
        prev_event_id TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (event_id, prev_event_id)
      );
      CREATE INDEX event_edges_prev ON event_edges (prev_event_id);
      CREATE TABLE forward_extremities (
        room_id TEXT COLLATE "C" NOT NULL,
        event_id TEXT COLLATE "C" NOT NULL,
        depth BIGINT NOT NULL,
        PRIMARY KEY (room_id, event_id)
      );
      CREATE TABLE current_state (
        room_id TEXT COLLATE "C" NOT NULL,
        type TEXT COLLATE "C" NOT NULL,
        state_key TEXT COLLATE "C" NOT NULL,
        event_id TEXT COLLATE "C" NOT NULL,
        membership TEXT,
        PRIMARY KEY (room_id, type, state_key)
      );
      CREATE INDEX current_state_member ON current_state (state_key, membership) WHERE type = 'm.room.member';
      CREATE TABLE txn_ids (
        user_id TEXT COLLATE "C" NOT NULL,
        device_id TEXT COLLATE "C" NOT NULL,
        txn_id TEXT COLLATE "C" NOT NULL,
        event_id TEXT COLLATE "C" NOT NULL,
        created_ts BIGINT NOT NULL,
        PRIMARY KEY (user_id, device_id, txn_id)
      );
    `,
  },
  { version: 2, name: 'contacts, realtime tickets', sql: PG_REALTIME_TABLES_SQL },
  { version: 3, name: 'sync: to-device messages and txn ids', sql: PG_SYNC_MIGRATION_SQL },
  { version: 4, name: 'federation: rejected events, state by depth', sql: PG_FEDERATION_MIGRATION_SQL },
  { version: 5, name: 'txn ids by event', sql: 'CREATE INDEX txn_ids_event ON txn_ids (event_id);' },
];

// The first key of the two-key advisory lock ("par1"); the second is the schema's name, so
// servers on different schemas of one database do not wait for each other.
const MIGRATION_LOCK = 0x70617231;

/**
 * Brings the schema (the first one on the connection's `search_path`) up to the newest
 * migration: all pending steps in one transaction, under a transaction-scoped advisory lock so
 * instances starting together apply each step once and the others then see it done.
 *
 * @returns the schema version now in place.
 * @throws when the database was written by a newer server, or the `search_path` names no
 *   existing schema.
 */
export async function applyPgMigrations(
  pool: pg.Pool,
  migrations: readonly Migration[] = PG_MIGRATIONS,
): Promise<number> {
  const newest = migrations.at(-1)?.version ?? 0;
  await inTransaction(pool, async (c) => {
    const { rows } = await c.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    const schema = rows[0]?.schema;
    if (schema == null) {
      throw new Error('PostgreSQL: no schema on the search_path exists (create it first)');
    }
    await c.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [MIGRATION_LOCK, schema]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts BIGINT NOT NULL)`);
    const current = (
      await c.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')
    ).rows[0]!.v;
    if (current > newest) {
      throw new Error(`database schema version ${current} is newer than this server supports (${newest})`);
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name, applied_ts) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
    }
  });
  return newest;
}
