import type { PDU } from '@parley/core';
import type pg from 'pg';
import type { FederatedEventMode, FederationStorage, RoomServerRecord } from '../federation-storage.js';
import { EVENT_COLUMNS, type EventRow, eventColumnValues, rowToEvent } from '../rows.js';
import type { NewEvent, StoredEvent } from '../storage.js';
import { inTransaction } from './pg-pool.js';

/** Federation's tables (migration 4, as `FEDERATION_MIGRATION_SQL` is for SQLite). */
export const PG_FEDERATION_MIGRATION_SQL = `
  CREATE TABLE rejected_events (
    event_id TEXT COLLATE "C" PRIMARY KEY,
    room_id TEXT COLLATE "C" NOT NULL,
    reason TEXT NOT NULL,
    json TEXT NOT NULL,
    rejected_ts BIGINT NOT NULL
  );
  CREATE INDEX events_room_state_depth ON events (room_id, depth) WHERE state_key IS NOT NULL;
`;

// The same layout as sqlite-federation.ts: historical events take orderings below every live
// one, `HISTORY_BASE + depth * HISTORY_SLOTS + slot`, so /messages shows them in DAG order.
const HISTORY_BASE = -(2 ** 52);
const HISTORY_SLOTS = 4096;
const HISTORY_MAX_DEPTH = 2 ** 40 - 1;
// Historical slots are shared by all rooms: their inserts take this advisory lock ("par2"), so
// two instances backfilling at once cannot pick the same ordering.
const HISTORY_LOCK = 0x70617232;

/**
 * The {@link FederationStorage} half of `PostgresStorage`. A federated event is stored under
 * its room's row lock, like a local append, so the two never interleave on one room.
 *
 * @internal
 */
export class PgFederationTables implements FederationStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  storeFederatedEvent(
    roomId: string,
    { eventId, event }: NewEvent,
    mode: FederatedEventMode,
  ): Promise<StoredEvent | undefined> {
    return inTransaction(this.#pool, async (c): Promise<StoredEvent | undefined> => {
      await c.query('SELECT 1 FROM rooms WHERE room_id = $1 FOR UPDATE', [roomId]);
      if ((await c.query('SELECT 1 FROM events WHERE event_id = $1', [eventId])).rowCount) return undefined;
      const prevs = [...new Set(event.prev_events)];
      if (prevs.length > 0) {
        await c.query(
          'INSERT INTO event_edges (event_id, prev_event_id) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING',
          [eventId, prevs],
        );
        if (mode === 'live') {
          await c.query('DELETE FROM forward_extremities WHERE room_id = $1 AND event_id = ANY($2::text[])', [
            roomId,
            prevs,
          ]);
        }
      }
      if (mode === 'live') {
        // An event some stored event already cites is not a forward extremity (a gap filled late).
        const cited = await c.query(
          `SELECT 1 FROM event_edges ee JOIN events e ON e.event_id = ee.event_id
           WHERE ee.prev_event_id = $1 LIMIT 1`,
          [eventId],
        );
        if (!cited.rowCount) {
          await c.query(
            `INSERT INTO forward_extremities (room_id, event_id, depth) VALUES ($1, $2, $3)
             ON CONFLICT (room_id, event_id) DO UPDATE SET depth = excluded.depth`,
            [roomId, eventId, event.depth],
          );
        }
      }
      await this.#updateState(c, roomId, eventId, event);
      const fields = eventColumnValues(eventId, roomId, event);
      let ordering: number;
      if (mode === 'historical') {
        ordering = await this.#historicalOrdering(c, event.depth);
        await c.query(
          `INSERT INTO events (stream_ordering, ${EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [ordering, ...fields],
        );
      } else {
        // Last, as in appendEvent: the stream counter stays locked until COMMIT.
        const { rows } = await c.query<{ stream_ordering: number }>(
          `WITH p AS (UPDATE stream_position SET pos = pos + 1 RETURNING pos)
           INSERT INTO events (stream_ordering, ${EVENT_COLUMNS})
           SELECT p.pos, $1, $2, $3, $4, $5, $6, $7, $8 FROM p RETURNING stream_ordering`,
          fields,
        );
        ordering = rows[0]!.stream_ordering;
      }
      return { streamOrdering: ordering, eventId, event };
    });
  }

  async #historicalOrdering(c: pg.PoolClient, depth: number): Promise<number> {
    await c.query('SELECT pg_advisory_xact_lock($1)', [HISTORY_LOCK]);
    const base = HISTORY_BASE + Math.min(Math.max(depth, 0), HISTORY_MAX_DEPTH) * HISTORY_SLOTS;
    const { rows } = await c.query<{ m: number | null }>(
      'SELECT MAX(stream_ordering) AS m FROM events WHERE stream_ordering BETWEEN $1 AND $2',
      [base, base + HISTORY_SLOTS - 1],
    );
    const m = rows[0]!.m;
    if (m === null) return base;
    if (m < base + HISTORY_SLOTS - 1) return m + 1;
    // Thousands of events at one depth: order is lost for them, nothing else.
    const min = (await c.query<{ m: number }>('SELECT MIN(stream_ordering) AS m FROM events')).rows[0]!.m;
    return min - 1;
  }

  /** The current state takes the event with the larger `(depth, event_id)`. */
  async #updateState(c: pg.PoolClient, roomId: string, eventId: string, event: PDU): Promise<void> {
    if (typeof event.state_key !== 'string') return;
    const { rows } = await c.query<{ depth: number; event_id: string }>(
      `SELECT e.depth, e.event_id FROM current_state cs JOIN events e ON e.event_id = cs.event_id
       WHERE cs.room_id = $1 AND cs.type = $2 AND cs.state_key = $3`,
      [roomId, event.type, event.state_key],
    );
    const cur = rows[0];
    if (
      cur !== undefined &&
      (cur.depth > event.depth || (cur.depth === event.depth && cur.event_id >= eventId))
    )
      return;
    const membership = event.type === 'm.room.member' ? String(event.content.membership) : null;
    await c.query(
      `INSERT INTO current_state (room_id, type, state_key, event_id, membership) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id, membership = excluded.membership`,
      [roomId, event.type, event.state_key, eventId, membership],
    );
  }

  async storeRejectedEvent(
    roomId: string,
    eventId: string,
    json: string,
    reason: string,
    ts: number,
  ): Promise<void> {
    await this.#pool.query(
      `INSERT INTO rejected_events (event_id, room_id, reason, json, rejected_ts) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING`,
      [eventId, roomId, reason.slice(0, 1000), json, ts],
    );
  }

  async getEventStatus(ids: readonly string[]): Promise<{ stored: Set<string>; rejected: Set<string> }> {
    const unique = [...new Set(ids)];
    const [stored, rejected] = await Promise.all(
      ['events', 'rejected_events'].map((table) =>
        this.#pool.query<{ event_id: string }>(
          `SELECT event_id FROM ${table} WHERE event_id = ANY($1::text[])`,
          [unique],
        ),
      ),
    );
    return {
      stored: new Set(stored!.rows.map((r) => r.event_id)),
      rejected: new Set(rejected!.rows.map((r) => r.event_id)),
    };
  }

  async getEvents(ids: readonly string[]): Promise<StoredEvent[]> {
    const { rows } = await this.#pool.query<EventRow>(
      'SELECT stream_ordering, event_id, json FROM events WHERE event_id = ANY($1::text[])',
      [[...new Set(ids)]],
    );
    return rows.map(rowToEvent);
  }

  async getRoomServers(roomId: string): Promise<RoomServerRecord[]> {
    const { rows } = await this.#pool.query<{ user_id: string; depth: number }>(
      `SELECT cs.state_key AS user_id, e.depth FROM current_state cs JOIN events e ON e.event_id = cs.event_id
       WHERE cs.room_id = $1 AND cs.type = 'm.room.member' AND cs.membership = 'join'`,
      [roomId],
    );
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

  async getBackwardExtremities(roomId: string, limit: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ id: string }>(
      `SELECT ee.prev_event_id AS id, MIN(e.depth) AS d FROM events e
       JOIN event_edges ee ON ee.event_id = e.event_id
       WHERE e.room_id = $1
         AND NOT EXISTS (SELECT 1 FROM events x WHERE x.event_id = ee.prev_event_id)
         AND NOT EXISTS (SELECT 1 FROM rejected_events r WHERE r.event_id = ee.prev_event_id)
       GROUP BY ee.prev_event_id ORDER BY d ASC, id ASC LIMIT $2`,
      [roomId, limit],
    );
    return rows.map((r) => r.id);
  }

  async getStateBeforeDepth(roomId: string, depth: number): Promise<StoredEvent[]> {
    const { rows } = await this.#pool.query<EventRow>(
      `SELECT stream_ordering, event_id, json FROM (
         SELECT stream_ordering, event_id, json, ROW_NUMBER() OVER (
           PARTITION BY type, state_key ORDER BY depth DESC, event_id DESC) AS rn
         FROM events WHERE room_id = $1 AND state_key IS NOT NULL AND depth < $2) s
       WHERE rn = 1 ORDER BY stream_ordering`,
      [roomId, depth],
    );
    return rows.map(rowToEvent);
  }
}
