import type { Database } from 'better-sqlite3';
import { FEDERATION_MIGRATION_SQL } from './sqlite-federation.js';
import { REALTIME_TABLES_SQL } from './sqlite-realtime.js';
import { SYNC_MIGRATION_SQL } from './sync-migration.js';

/** One schema change. Versions are consecutive from 1 and never edited once released. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'users, tokens, rooms, events, state',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      -- One namespace for user and room handles, so a handle names one thing only.
      CREATE TABLE handles (handle TEXT PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL UNIQUE);

      CREATE TABLE users (
        user_id TEXT PRIMARY KEY,
        localpart TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        handle TEXT NOT NULL UNIQUE REFERENCES handles(handle),
        created_ts INTEGER NOT NULL
      );
      CREATE TABLE devices (
        user_id TEXT NOT NULL REFERENCES users(user_id),
        device_id TEXT NOT NULL,
        created_ts INTEGER NOT NULL,
        PRIMARY KEY (user_id, device_id)
      );
      CREATE TABLE access_tokens (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        created_ts INTEGER NOT NULL,
        FOREIGN KEY (user_id, device_id) REFERENCES devices(user_id, device_id)
      );

      CREATE TABLE rooms (
        room_id TEXT PRIMARY KEY,
        handle TEXT NOT NULL UNIQUE REFERENCES handles(handle),
        room_version TEXT NOT NULL,
        creator TEXT NOT NULL,
        created_ts INTEGER NOT NULL
      );
      -- AUTOINCREMENT: a stream ordering is never reused, so /messages tokens stay valid.
      CREATE TABLE events (
        stream_ordering INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        room_id TEXT NOT NULL REFERENCES rooms(room_id),
        type TEXT NOT NULL,
        state_key TEXT,
        sender TEXT NOT NULL,
        depth INTEGER NOT NULL,
        origin_server_ts INTEGER NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
      CREATE TABLE event_edges (
        event_id TEXT NOT NULL,
        prev_event_id TEXT NOT NULL,
        PRIMARY KEY (event_id, prev_event_id)
      );
      CREATE INDEX event_edges_prev ON event_edges (prev_event_id);
      CREATE TABLE forward_extremities (
        room_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        depth INTEGER NOT NULL,
        PRIMARY KEY (room_id, event_id)
      );
      CREATE TABLE current_state (
        room_id TEXT NOT NULL,
        type TEXT NOT NULL,
        state_key TEXT NOT NULL,
        event_id TEXT NOT NULL,
        membership TEXT,
        PRIMARY KEY (room_id, type, state_key)
      );
      CREATE INDEX current_state_member ON current_state (state_key, membership) WHERE type = 'm.room.member';
      CREATE TABLE txn_ids (
        user_id TEXT NOT NULL,
        device_id TEXT NOT NULL,
        txn_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        created_ts INTEGER NOT NULL,
        PRIMARY KEY (user_id, device_id, txn_id)
      );
    `,
  },
  { version: 2, name: 'contacts, realtime tickets', sql: REALTIME_TABLES_SQL },
  { version: 3, name: 'sync: to-device messages and txn ids', sql: SYNC_MIGRATION_SQL },
  { version: 4, name: 'federation: rejected events, state by depth', sql: FEDERATION_MIGRATION_SQL },
  // `unsigned.transaction_id` looks txn ids up by event id.
  { version: 5, name: 'txn ids by event', sql: 'CREATE INDEX txn_ids_event ON txn_ids (event_id);' },
];

/**
 * Brings the schema up to the newest migration, all pending steps in one transaction, so a crash
 * mid-way leaves the previous version intact.
 *
 * @returns the schema version now in place.
 * @throws when the database was written by a newer server (its version is unknown here).
 */
export function applyMigrations(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts INTEGER NOT NULL)`);
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new Error(`database schema version ${current} is newer than this server supports (${newest})`);
  }
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, applied_ts) VALUES (?, ?, ?)');
  db.transaction(() => {
    for (const m of migrations) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      insert.run(m.version, m.name, Date.now());
    }
  }).immediate();
  return newest;
}
