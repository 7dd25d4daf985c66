import type { PDU } from '@parley/core';
import type { Database, Statement } from 'better-sqlite3';
import type { FederatedEventMode, RoomServerRecord } from '../federation-storage.js';
import { type EventRow, eventColumnValues, rowToEvent } from '../rows.js';
import type { NewEvent, StoredEvent } from '../storage.js';

/** The schema of federation (a migration of `migrations.ts`). */
export const FEDERATION_MIGRATION_SQL = `
  -- Events that failed authorization: kept so they are never fetched or evaluated again.
  CREATE TABLE rejected_events (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    json TEXT NOT NULL,
    rejected_ts INTEGER NOT NULL
  );
  -- State at a depth (state_ids, state) and the depth rule for the current state.
  CREATE INDEX events_room_state_depth ON events (room_id, depth) WHERE state_key IS NOT NULL;
`;

/**
 * Historical events (backfill) take stream orderings below every live one, ordered by depth:
 * `HISTORY_BASE + depth * HISTORY_SLOTS + slot`. So `/messages` pages through them in DAG order
 * whatever order they arrived in, and sync (which only looks forward) never reports them.
 */
const HISTORY_BASE = -(2 ** 52);
const HISTORY_SLOTS = 4096;
const HISTORY_MAX_DEPTH = 2 ** 40 - 1;

// SQLite's default limit of host parameters is 32766; stay far below it.
const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The federation tables and queries of {@link SqliteStorage}. */
export class SqliteFederationTables {
  readonly #db: Database;
  readonly #s: Record<string, Statement>;

  constructor(db: Database) {
    this.#db = db;
    const p = (sql: string): Statement => db.prepare(sql);
    this.#s = {
      exists: p('SELECT 1 FROM events WHERE event_id = ?'),
      insertLive:
        p(`INSERT INTO events (event_id, room_id, type, state_key, sender, depth, origin_server_ts, json)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      insertAt: p(`INSERT INTO events
        (stream_ordering, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      maxInSlot: p('SELECT MAX(stream_ordering) AS m FROM events WHERE stream_ordering BETWEEN ? AND ?'),
      minOrdering: p('SELECT MIN(stream_ordering) AS m FROM events'),
      insertEdge: p('INSERT OR IGNORE INTO event_edges (event_id, prev_event_id) VALUES (?, ?)'),
      isCited: p(`SELECT 1 FROM event_edges ee JOIN events e ON e.event_id = ee.event_id
        WHERE ee.prev_event_id = ? LIMIT 1`),
      deleteExtremity: p('DELETE FROM forward_extremities WHERE room_id = ? AND event_id = ?'),
      insertExtremity: p(
        'INSERT OR REPLACE INTO forward_extremities (room_id, event_id, depth) VALUES (?, ?, ?)',
      ),
      currentState: p(`SELECT e.depth, e.event_id FROM current_state cs
        JOIN events e ON e.event_id = cs.event_id WHERE cs.room_id = ? AND cs.type = ? AND cs.state_key = ?`),
      upsertState:
        p(`INSERT INTO current_state (room_id, type, state_key, event_id, membership) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id, membership = excluded.membership`),
      insertRejected: p(`INSERT OR IGNORE INTO rejected_events (event_id, room_id, reason, json, rejected_ts)
        VALUES (?, ?, ?, ?, ?)`),
      roomServers: p(`SELECT cs.state_key AS user_id, e.depth FROM current_state cs
        JOIN events e ON e.event_id = cs.event_id
        WHERE cs.room_id = ? AND cs.type = 'm.room.member' AND cs.membership = 'join'`),
      backward: p(`SELECT ee.prev_event_id AS id, MIN(e.depth) AS d FROM events e
        JOIN event_edges ee ON ee.event_id = e.event_id
        WHERE e.room_id = ?
          AND NOT EXISTS (SELECT 1 FROM events x WHERE x.event_id = ee.prev_event_id)
          AND NOT EXISTS (SELECT 1 FROM rejected_events r WHERE r.event_id = ee.prev_event_id)
        GROUP BY ee.prev_event_id ORDER BY d ASC, id ASC LIMIT ?`),
      stateBefore: p(`SELECT stream_ordering, event_id, json FROM (
          SELECT stream_ordering, event_id, json, ROW_NUMBER() OVER (
            PARTITION BY type, state_key ORDER BY depth DESC, event_id DESC) AS rn
          FROM events WHERE room_id = ? AND state_key IS NOT NULL AND depth < ?)
        WHERE rn = 1 ORDER BY stream_ordering`),
    };
  }

  #historicalOrdering(depth: number): number {
    const base = HISTORY_BASE + Math.min(Math.max(depth, 0), HISTORY_MAX_DEPTH) * HISTORY_SLOTS;
    const row = this.#s.maxInSlot!.get(base, base + HISTORY_SLOTS - 1) as { m: number | null };
    if (row.m === null) return base;
    if (row.m < base + HISTORY_SLOTS - 1) return row.m + 1;
    // Thousands of events at one depth: order is lost for them, nothing else.
    const min = (this.#s.minOrdering!.get() as { m: number }).m;
    return min - 1;
  }

  #updateState(roomId: string, eventId: string, event: PDU): void {
    if (typeof event.state_key !== 'string') return;
    const cur = this.#s.currentState!.get(roomId, event.type, event.state_key) as
      | { depth: number; event_id: string }
      | undefined;
    if (
      cur !== undefined &&
      (cur.depth > event.depth || (cur.depth === event.depth && cur.event_id >= eventId))
    )
      return;
    const membership = event.type === 'm.room.member' ? String(event.content.membership) : null;
    this.#s.upsertState!.run(roomId, event.type, event.state_key, eventId, membership);
  }

  storeFederatedEvent(
    roomId: string,
    { eventId, event }: NewEvent,
    mode: FederatedEventMode,
  ): StoredEvent | undefined {
    return this.#db
      .transaction((): StoredEvent | undefined => {
        if (this.#s.exists!.get(eventId)) return undefined;
        const fields = eventColumnValues(eventId, roomId, event);
        let ordering: number;
        if (mode === 'historical') {
          ordering = this.#historicalOrdering(event.depth);
          this.#s.insertAt!.run(ordering, ...fields);
        } else {
          ordering = Number(this.#s.insertLive!.run(...fields).lastInsertRowid);
        }
        for (const prev of event.prev_events) {
          this.#s.insertEdge!.run(eventId, prev);
          if (mode === 'live') this.#s.deleteExtremity!.run(roomId, prev);
        }
        // An event some stored event already cites is not a forward extremity (a gap filled late).
        if (mode === 'live' && !this.#s.isCited!.get(eventId)) {
          this.#s.insertExtremity!.run(roomId, eventId, event.depth);
        }
        this.#updateState(roomId, eventId, event);
        return { streamOrdering: ordering, eventId, event };
      })
      .immediate();
  }

  storeRejectedEvent(roomId: string, eventId: string, json: string, reason: string, ts: number): void {
    this.#s.insertRejected!.run(eventId, roomId, reason.slice(0, 1000), json, ts);
  }

  getEventStatus(ids: readonly string[]): { stored: Set<string>; rejected: Set<string> } {
    const stored = new Set<string>();
    const rejected = new Set<string>();
    for (const part of chunks([...new Set(ids)])) {
      const marks = part.map(() => '?').join(', ');
      for (const r of this.#db
        .prepare(`SELECT event_id FROM events WHERE event_id IN (${marks})`)
        .all(...part) as { event_id: string }[])
        stored.add(r.event_id);
      for (const r of this.#db
        .prepare(`SELECT event_id FROM rejected_events WHERE event_id IN (${marks})`)
        .all(...part) as { event_id: string }[])
        rejected.add(r.event_id);
    }
    return { stored, rejected };
  }

  getEvents(ids: readonly string[]): StoredEvent[] {
    const out: StoredEvent[] = [];
    for (const part of chunks([...new Set(ids)])) {
      const marks = part.map(() => '?').join(', ');
      const rows = this.#db
        .prepare(`SELECT stream_ordering, event_id, json FROM events WHERE event_id IN (${marks})`)
        .all(...part) as EventRow[];
      for (const r of rows) out.push(rowToEvent(r));
    }
    return out;
  }

  getRoomServers(roomId: string): RoomServerRecord[] {
    const rows = this.#s.roomServers!.all(roomId) as { user_id: string; depth: number }[];
    const servers = new Map<string, number>();
    for (const r of rows) {
      const colon = r.user_id.indexOf(':');
      if (colon < 0) continue;
      const name = r.user_id.slice(colon + 1);
      const cur = servers.get(name);
      if (cur === undefined || r.depth < cur) servers.set(name, r.depth);
    }
    return [...servers].map(([name, joinedAt]) => ({ name, joinedAt }));
  }

  getBackwardExtremities(roomId: string, limit: number): string[] {
    return (this.#s.backward!.all(roomId, limit) as { id: string }[]).map((r) => r.id);
  }

  getStateBeforeDepth(roomId: string, depth: number): StoredEvent[] {
    return (this.#s.stateBefore!.all(roomId, depth) as EventRow[]).map(rowToEvent);
  }
}
