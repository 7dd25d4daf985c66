import type { PDU, StateEntry } from '@parley/core';
import type pg from 'pg';
import { appendConflict, PREV_EVENTS_STALE, TXN_EXISTS } from '../append-conflict.js';
import { type EventRow, eventColumnValues, rowToEvent } from '../rows.js';
import type { Extremity, NewEvent, RoomEventsQuery, StateKeyRef, StoredEvent, TxnKey } from '../storage.js';

/** Something that runs queries: the pool, or one connection inside a transaction. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

// Named statements are parsed once per connection and then reused.
const SQL = {
  lockRoom: { name: 'parley_lock_room', text: 'SELECT 1 FROM rooms WHERE room_id = $1 FOR UPDATE' },
  // Everything of an append but the event row, in one round trip: claims the txn id, takes the
  // prev events off the forward extremities (the counts say whether both went as expected),
  // adds the edges, the new extremity and the state entry.
  link: {
    name: 'parley_link_event',
    text: `WITH
      t AS (INSERT INTO txn_ids (user_id, device_id, txn_id, event_id, created_ts)
        SELECT $5, $6, $7, $2, $8 WHERE $7::text IS NOT NULL ON CONFLICT DO NOTHING RETURNING 1),
      d AS (DELETE FROM forward_extremities WHERE room_id = $1 AND event_id = ANY($3::text[]) RETURNING 1),
      g AS (INSERT INTO event_edges (event_id, prev_event_id) SELECT $2, unnest($3::text[]) ON CONFLICT DO NOTHING),
      x AS (INSERT INTO forward_extremities (room_id, event_id, depth) VALUES ($1, $2, $4)
        ON CONFLICT (room_id, event_id) DO UPDATE SET depth = excluded.depth),
      s AS (INSERT INTO current_state (room_id, type, state_key, event_id, membership)
        SELECT $1, $9, $10, $2, $11 WHERE $10::text IS NOT NULL
        ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id, membership = excluded.membership)
      SELECT (SELECT COUNT(*) FROM t)::int AS claimed, (SELECT COUNT(*) FROM d)::int AS taken`,
  },
  // What the room service builds an event on, in one round trip (after the room lock, so with a
  // snapshot that includes every append that held the lock before).
  buildInputs: {
    name: 'parley_build_inputs',
    text: `SELECT
      (SELECT COALESCE(json_agg(json_build_object('type', cs.type, 'state_key', cs.state_key,
          'event_id', e.event_id, 'json', e.json)), '[]'::json)
        FROM current_state cs JOIN events e ON e.event_id = cs.event_id
        WHERE cs.room_id = $1 AND (cs.type, cs.state_key) IN (SELECT * FROM unnest($2::text[], $3::text[]))) AS state,
      (SELECT COALESCE(json_agg(json_build_object('event_id', f.event_id, 'depth', f.depth)
          ORDER BY f.depth DESC, f.event_id), '[]'::json)
        FROM (SELECT event_id, depth FROM forward_extremities WHERE room_id = $1
          ORDER BY depth DESC, event_id LIMIT $4) f) AS prev`,
  },
  // Takes the next stream ordering and stores the event in one statement; the counter row stays
  // locked until COMMIT, so this runs last (see the stream_position table in pg-migrations.ts).
  insertEvent: {
    name: 'parley_insert_event',
    text: `WITH p AS (UPDATE stream_position SET pos = pos + 1 RETURNING pos)
      INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, depth, origin_server_ts, json)
      SELECT p.pos, $1, $2, $3, $4, $5, $6, $7, $8 FROM p RETURNING stream_ordering`,
  },
  getEvent: {
    name: 'parley_get_event',
    text: 'SELECT stream_ordering, event_id, json FROM events WHERE event_id = $1',
  },
  getStateEntries: {
    name: 'parley_get_state_entries',
    text: `SELECT cs.type, cs.state_key, e.event_id, e.json FROM current_state cs
      JOIN events e ON e.event_id = cs.event_id
      WHERE cs.room_id = $1 AND (cs.type, cs.state_key) IN (SELECT * FROM unnest($2::text[], $3::text[]))`,
  },
  getFullState: {
    name: 'parley_get_full_state',
    text: `SELECT e.event_id, e.json FROM current_state cs JOIN events e ON e.event_id = cs.event_id
      WHERE cs.room_id = $1 ORDER BY e.stream_ordering`,
  },
  getExtremities: {
    name: 'parley_get_extremities',
    text: `SELECT event_id, depth FROM forward_extremities WHERE room_id = $1
      ORDER BY depth DESC, event_id LIMIT $2`,
  },
  eventsBackward: {
    name: 'parley_events_backward',
    text: `SELECT stream_ordering, event_id, json FROM events
      WHERE room_id = $1 AND stream_ordering <= $2 ORDER BY stream_ordering DESC LIMIT $3`,
  },
  eventsForward: {
    name: 'parley_events_forward',
    text: `SELECT stream_ordering, event_id, json FROM events
      WHERE room_id = $1 AND stream_ordering > $2 ORDER BY stream_ordering ASC LIMIT $3`,
  },
  joinedRooms: {
    name: 'parley_joined_rooms',
    text: `SELECT room_id FROM current_state
      WHERE type = 'm.room.member' AND state_key = $1 AND membership = 'join' ORDER BY room_id`,
  },
  txnIdsOfEvents: {
    name: 'parley_txn_ids_of_events',
    text: `SELECT event_id, txn_id FROM txn_ids
      WHERE event_id = ANY($1::text[]) AND user_id = $2 AND device_id = $3`,
  },
  getTxn: {
    name: 'parley_get_txn',
    text: 'SELECT event_id FROM txn_ids WHERE user_id = $1 AND device_id = $2 AND txn_id = $3',
  },
} as const;

/** Takes the room's row lock until the end of the caller's transaction. */
export async function lockRoom(c: pg.PoolClient, roomId: string): Promise<void> {
  await c.query({ ...SQL.lockRoom, values: [roomId] });
}

/**
 * Stores one event inside the caller's transaction. Locks are always taken in the same order
 * (room row, txn id, extremity rows, stream counter), so concurrent appends wait but never
 * deadlock.
 *
 * @throws {@link PREV_EVENTS_STALE} when a `prev_events` entry is no longer a forward extremity
 *   (another writer appended on it), {@link TXN_EXISTS} when `txn` was committed meanwhile.
 */
export async function appendInTransaction(
  c: pg.PoolClient,
  roomId: string,
  { eventId, event }: NewEvent,
  txn?: TxnKey,
  options: { roomLocked?: boolean } = {},
): Promise<StoredEvent> {
  // Serializes a room's appends across instances; the checks below then see every earlier one.
  if (!options.roomLocked) await lockRoom(c, roomId);
  const prevs = [...new Set(event.prev_events)];
  const stateKey = typeof event.state_key === 'string' ? event.state_key : null;
  const membership =
    stateKey !== null && event.type === 'm.room.member' ? String(event.content.membership) : null;
  const { rows: linked } = await c.query<{ claimed: number; taken: number }>({
    ...SQL.link,
    values: [
      roomId,
      eventId,
      prevs,
      event.depth,
      txn?.userId ?? null,
      txn?.deviceId ?? null,
      txn?.txnId ?? null,
      event.origin_server_ts,
      stateKey === null ? null : event.type,
      stateKey,
      membership,
    ],
  });
  // Throwing rolls the whole transaction back: nothing of the statement above stays.
  if (txn && linked[0]!.claimed === 0) {
    throw appendConflict(TXN_EXISTS, `transaction ${txn.txnId} was already sent`);
  }
  // Each prev event must still be a forward extremity: if one already has a child, this event was
  // built on an old view of the room and would fork its history.
  if (linked[0]!.taken !== prevs.length) {
    throw appendConflict(PREV_EVENTS_STALE, `prev_events of ${eventId} are no longer the room's extremities`);
  }
  const { rows } = await c.query<{ stream_ordering: number }>({
    ...SQL.insertEvent,
    values: eventColumnValues(eventId, roomId, event),
  });
  return { streamOrdering: rows[0]!.stream_ordering, eventId, event };
}

/**
 * The current state entries of `keys` that exist (in the order of `keys`) and the deepest
 * `limit` forward extremities, in one round trip.
 */
export async function getBuildInputs(
  c: pg.PoolClient,
  roomId: string,
  keys: readonly StateKeyRef[],
  limit: number,
): Promise<{ state: StateEntry[]; prev: Extremity[] }> {
  const { rows } = await c.query<{
    state: { type: string; state_key: string; event_id: string; json: string }[];
    prev: { event_id: string; depth: number }[];
  }>({ ...SQL.buildInputs, values: [roomId, keys.map((k) => k.type), keys.map((k) => k.stateKey), limit] });
  const row = rows[0]!;
  return {
    state: inKeyOrder(row.state, keys),
    prev: row.prev.map((r) => ({ eventId: r.event_id, depth: r.depth })),
  };
}

function inKeyOrder(
  rows: readonly { type: string; state_key: string; event_id: string; json: string }[],
  keys: readonly StateKeyRef[],
): StateEntry[] {
  // In the order of `keys`, as the SQLite storage answers.
  const byKey = new Map(rows.map((r) => [JSON.stringify([r.type, r.state_key]), r]));
  const out: StateEntry[] = [];
  for (const k of keys) {
    const r = byKey.get(JSON.stringify([k.type, k.stateKey]));
    if (r) out.push({ eventId: r.event_id, event: JSON.parse(r.json) as PDU });
  }
  return out;
}

/** The room reads of {@link PostgresStorage}. */
export async function getTxnEventId(db: Queryable, txn: TxnKey): Promise<string | undefined> {
  const { rows } = await db.query<{ event_id: string }>({
    ...SQL.getTxn,
    values: [txn.userId, txn.deviceId, txn.txnId],
  });
  return rows[0]?.event_id;
}

export async function getTxnIdsOfEvents(
  db: Queryable,
  userId: string,
  deviceId: string,
  eventIds: readonly string[],
): Promise<Map<string, string>> {
  if (eventIds.length === 0) return new Map();
  const { rows } = await db.query<{ event_id: string; txn_id: string }>({
    ...SQL.txnIdsOfEvents,
    values: [eventIds, userId, deviceId],
  });
  return new Map(rows.map((r) => [r.event_id, r.txn_id]));
}

export async function getEvent(db: Queryable, eventId: string): Promise<StoredEvent | undefined> {
  const { rows } = await db.query<EventRow>({ ...SQL.getEvent, values: [eventId] });
  return rows[0] && rowToEvent(rows[0]);
}

export async function getStateEntries(
  db: Queryable,
  roomId: string,
  keys: readonly StateKeyRef[],
): Promise<StateEntry[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<{ type: string; state_key: string; event_id: string; json: string }>({
    ...SQL.getStateEntries,
    values: [roomId, keys.map((k) => k.type), keys.map((k) => k.stateKey)],
  });
  return inKeyOrder(rows, keys);
}

export async function getFullState(db: Queryable, roomId: string): Promise<StateEntry[]> {
  const { rows } = await db.query<{ event_id: string; json: string }>({
    ...SQL.getFullState,
    values: [roomId],
  });
  return rows.map((r) => ({ eventId: r.event_id, event: JSON.parse(r.json) as PDU }));
}

export async function getForwardExtremities(
  db: Queryable,
  roomId: string,
  limit: number,
): Promise<Extremity[]> {
  const { rows } = await db.query<{ event_id: string; depth: number }>({
    ...SQL.getExtremities,
    values: [roomId, limit],
  });
  return rows.map((r) => ({ eventId: r.event_id, depth: r.depth }));
}

export async function getRoomEvents(db: Queryable, q: RoomEventsQuery): Promise<StoredEvent[]> {
  const sql = q.dir === 'b' ? SQL.eventsBackward : SQL.eventsForward;
  const { rows } = await db.query<EventRow>({ ...sql, values: [q.roomId, q.from, q.limit] });
  return rows.map(rowToEvent);
}

export async function getJoinedRooms(db: Queryable, userId: string): Promise<string[]> {
  const { rows } = await db.query<{ room_id: string }>({ ...SQL.joinedRooms, values: [userId] });
  return rows.map((r) => r.room_id);
}
