import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PDU, StateEntry } from '@parley/core';
import DatabaseConstructor, { type Database, type Statement } from 'better-sqlite3';
import { matrixError } from '../../http/matrix-errors.js';
import { appendConflict, PREV_EVENTS_STALE, TXN_EXISTS } from '../append-conflict.js';
import type { FederatedEventMode, RoomServerRecord } from '../federation-storage.js';
import type { AddContactResult, RealtimeTicketRecord, UserHandleRecord } from '../realtime-storage.js';
import { type EventRow, eventColumnValues, rowToEvent } from '../rows.js';
import type {
  AccessTokenRecord,
  Extremity,
  HandleFactory,
  NewEvent,
  RoomEventsQuery,
  RoomRecord,
  StateKeyRef,
  Storage,
  StoredEvent,
  TxnKey,
  UserRecord,
} from '../storage.js';
import type { RoomHead, ToDeviceAddResult, ToDeviceBounds, ToDeviceRecord } from '../sync-storage.js';
import { applyMigrations } from './migrations.js';
import { SqliteFederationTables } from './sqlite-federation.js';
import { SqliteRealtimeTables } from './sqlite-realtime.js';
import { SqliteSyncStore } from './sqlite-sync-store.js';

/** Options of {@link SqliteStorage.open}. */
export interface SqliteOptions {
  /** Path of the database file; its directory is created if missing. */
  path: string;
  /**
   * `full` (default): every commit is fsynced before it is acknowledged, so an acknowledged write
   * survives a power cut. `normal`: in WAL mode a commit survives a process crash (SIGKILL) but
   * the last commits may be lost on power loss; faster.
   */
  synchronous?: 'full' | 'normal';
}

/** The {@link Storage} on embedded SQLite (better-sqlite3) in WAL mode. */
export class SqliteStorage implements Storage {
  readonly #db: Database;
  readonly #s: Record<string, Statement>;
  readonly #rt: SqliteRealtimeTables;
  readonly #sync: SqliteSyncStore;
  readonly #fed: SqliteFederationTables;
  #closed = false;

  private constructor(db: Database) {
    this.#db = db;
    this.#rt = new SqliteRealtimeTables(db);
    this.#sync = new SqliteSyncStore(db);
    this.#fed = new SqliteFederationTables(db);
    const p = (sql: string): Statement => db.prepare(sql);
    this.#s = {
      ping: p('SELECT 1'),
      getMeta: p('SELECT value FROM meta WHERE key = ?'),
      setMeta: p(
        'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      ),
      handleTaken: p('SELECT 1 FROM handles WHERE handle = ?'),
      insertHandle: p('INSERT INTO handles (handle, kind, target) VALUES (?, ?, ?)'),
      userExists: p('SELECT 1 FROM users WHERE user_id = ? OR localpart = ?'),
      insertUser: p(
        'INSERT INTO users (user_id, localpart, password_hash, handle, created_ts) VALUES (?, ?, ?, ?, ?)',
      ),
      getUser: p('SELECT user_id, localpart, password_hash, handle, created_ts FROM users WHERE user_id = ?'),
      insertDevice: p('INSERT OR IGNORE INTO devices (user_id, device_id, created_ts) VALUES (?, ?, ?)'),
      insertToken: p(
        'INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES (?, ?, ?, ?)',
      ),
      getToken: p('SELECT user_id, device_id FROM access_tokens WHERE token_hash = ?'),
      deleteToken: p('DELETE FROM access_tokens WHERE token_hash = ?'),
      insertRoom: p(
        'INSERT INTO rooms (room_id, handle, room_version, creator, created_ts) VALUES (?, ?, ?, ?, ?)',
      ),
      getRoom: p('SELECT room_id, handle, room_version, creator, created_ts FROM rooms WHERE room_id = ?'),
      insertEvent:
        p(`INSERT INTO events (event_id, room_id, type, state_key, sender, depth, origin_server_ts, json)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
      insertEdge: p('INSERT OR IGNORE INTO event_edges (event_id, prev_event_id) VALUES (?, ?)'),
      deleteExtremity: p('DELETE FROM forward_extremities WHERE room_id = ? AND event_id = ?'),
      insertExtremity: p(
        'INSERT OR REPLACE INTO forward_extremities (room_id, event_id, depth) VALUES (?, ?, ?)',
      ),
      getExtremities: p(
        'SELECT event_id, depth FROM forward_extremities WHERE room_id = ? ORDER BY depth DESC, event_id LIMIT ?',
      ),
      upsertState:
        p(`INSERT INTO current_state (room_id, type, state_key, event_id, membership) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id, membership = excluded.membership`),
      getStateEntry: p(`SELECT e.stream_ordering, e.event_id, e.json FROM current_state cs
        JOIN events e ON e.event_id = cs.event_id WHERE cs.room_id = ? AND cs.type = ? AND cs.state_key = ?`),
      getFullState: p(`SELECT e.stream_ordering, e.event_id, e.json FROM current_state cs
        JOIN events e ON e.event_id = cs.event_id WHERE cs.room_id = ? ORDER BY e.stream_ordering`),
      insertTxn: p(
        'INSERT INTO txn_ids (user_id, device_id, txn_id, event_id, created_ts) VALUES (?, ?, ?, ?, ?)',
      ),
      getTxn: p('SELECT event_id FROM txn_ids WHERE user_id = ? AND device_id = ? AND txn_id = ?'),
      // One statement for any number of ids: they come as a JSON array. The unary `+` keeps the
      // planner on the event id index rather than scanning all of the device's txns by the key.
      txnIdsOfEvents: p(`SELECT event_id, txn_id FROM txn_ids
        WHERE event_id IN (SELECT value FROM json_each(?)) AND +user_id = ? AND +device_id = ?`),
      getEvent: p('SELECT stream_ordering, event_id, json FROM events WHERE event_id = ?'),
      eventsBackward: p(`SELECT stream_ordering, event_id, json FROM events
        WHERE room_id = ? AND stream_ordering <= ? ORDER BY stream_ordering DESC LIMIT ?`),
      eventsForward: p(`SELECT stream_ordering, event_id, json FROM events
        WHERE room_id = ? AND stream_ordering > ? ORDER BY stream_ordering ASC LIMIT ?`),
      joinedRooms: p(`SELECT room_id FROM current_state
        WHERE type = 'm.room.member' AND state_key = ? AND membership = 'join' ORDER BY room_id`),
    };
  }

  /**
   * Opens (creating if needed) the database, sets WAL mode and the `synchronous` level, and
   * applies pending migrations.
   */
  static open(options: SqliteOptions): SqliteStorage {
    mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
    const db = new DatabaseConstructor(options.path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      applyMigrations(db);
      return new SqliteStorage(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async ping(): Promise<void> {
    this.#s.ping!.get();
  }

  async getMeta(key: string): Promise<string | undefined> {
    return (this.#s.getMeta!.get(key) as { value: string } | undefined)?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    this.#s.setMeta!.run(key, value);
  }

  #allocateHandle(newHandle: HandleFactory, kind: string, target: string): string {
    // 64 random bits: a collision is rare enough that a few retries never run out in practice.
    for (let i = 0; i < 16; i++) {
      const handle = newHandle();
      if (/^0+$/.test(handle) || this.#s.handleTaken!.get(handle)) continue;
      this.#s.insertHandle!.run(handle, kind, target);
      return handle;
    }
    throw new Error('could not allocate a free handle');
  }

  async createUser(user: Omit<UserRecord, 'handle'>, newHandle: HandleFactory): Promise<UserRecord> {
    return this.#db
      .transaction(() => {
        if (this.#s.userExists!.get(user.userId, user.localpart)) {
          throw matrixError('M_USER_IN_USE', 'User ID already taken');
        }
        const handle = this.#allocateHandle(newHandle, 'user', user.userId);
        this.#s.insertUser!.run(user.userId, user.localpart, user.passwordHash, handle, user.createdTs);
        return { ...user, handle };
      })
      .immediate();
  }

  async getUser(userId: string): Promise<UserRecord | undefined> {
    const r = this.#s.getUser!.get(userId) as
      | { user_id: string; localpart: string; password_hash: string; handle: string; created_ts: number }
      | undefined;
    if (!r) return undefined;
    return {
      userId: r.user_id,
      localpart: r.localpart,
      passwordHash: r.password_hash,
      handle: r.handle,
      createdTs: r.created_ts,
    };
  }

  async addAccessToken(tokenHash: string, record: AccessTokenRecord, createdTs: number): Promise<void> {
    this.#db
      .transaction(() => {
        this.#s.insertDevice!.run(record.userId, record.deviceId, createdTs);
        this.#s.insertToken!.run(tokenHash, record.userId, record.deviceId, createdTs);
      })
      .immediate();
  }

  async getAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined> {
    const r = this.#s.getToken!.get(tokenHash) as { user_id: string; device_id: string } | undefined;
    return r && { userId: r.user_id, deviceId: r.device_id };
  }

  async deleteAccessToken(tokenHash: string): Promise<void> {
    this.#s.deleteToken!.run(tokenHash);
  }

  async createRoom(
    room: Omit<RoomRecord, 'handle'>,
    newHandle: HandleFactory,
    events: readonly NewEvent[],
  ): Promise<{ room: RoomRecord; events: StoredEvent[] }> {
    return this.#db
      .transaction(() => {
        const handle = this.#allocateHandle(newHandle, 'room', room.roomId);
        this.#s.insertRoom!.run(room.roomId, handle, room.roomVersion, room.creator, room.createdTs);
        const stored = events.map((e) => this.#append(room.roomId, e));
        return { room: { ...room, handle }, events: stored };
      })
      .immediate();
  }

  async getRoom(roomId: string): Promise<RoomRecord | undefined> {
    const r = this.#s.getRoom!.get(roomId) as
      | { room_id: string; handle: string; room_version: string; creator: string; created_ts: number }
      | undefined;
    if (!r) return undefined;
    return {
      roomId: r.room_id,
      handle: r.handle,
      roomVersion: r.room_version,
      creator: r.creator,
      createdTs: r.created_ts,
    };
  }

  #append(roomId: string, { eventId, event }: NewEvent, txn?: TxnKey): StoredEvent {
    // The checks PostgresStorage needs against other instances (append-conflict.ts); here the
    // room service's lock keeps them from firing, but both backends answer alike.
    if (txn && this.#s.getTxn!.get(txn.userId, txn.deviceId, txn.txnId)) {
      throw appendConflict(TXN_EXISTS, `transaction ${txn.txnId} was already sent`);
    }
    const stateKey = typeof event.state_key === 'string' ? event.state_key : null;
    const info = this.#s.insertEvent!.run(...eventColumnValues(eventId, roomId, event));
    for (const prev of new Set(event.prev_events)) {
      this.#s.insertEdge!.run(eventId, prev);
      if (this.#s.deleteExtremity!.run(roomId, prev).changes === 0) {
        throw appendConflict(
          PREV_EVENTS_STALE,
          `prev_events of ${eventId} are no longer the room's extremities`,
        );
      }
    }
    this.#s.insertExtremity!.run(roomId, eventId, event.depth);
    if (stateKey !== null) {
      const membership = event.type === 'm.room.member' ? String(event.content.membership) : null;
      this.#s.upsertState!.run(roomId, event.type, stateKey, eventId, membership);
    }
    if (txn) this.#s.insertTxn!.run(txn.userId, txn.deviceId, txn.txnId, eventId, event.origin_server_ts);
    return { streamOrdering: Number(info.lastInsertRowid), eventId, event };
  }

  async appendEvent(roomId: string, event: NewEvent, txn?: TxnKey): Promise<StoredEvent> {
    return this.#db.transaction(() => this.#append(roomId, event, txn)).immediate();
  }

  async appendBuiltEvent(
    roomId: string,
    stateKeys: readonly StateKeyRef[],
    maxPrevEvents: number,
    build: (state: StateEntry[], prevEvents: Extremity[]) => NewEvent,
    txn?: TxnKey,
  ): Promise<StoredEvent> {
    // BEGIN IMMEDIATE takes the database's write lock first: the reads and the write see one state.
    return this.#db
      .transaction(() => {
        const state = this.#stateEntries(roomId, stateKeys);
        const prev = this.#extremities(roomId, maxPrevEvents);
        return this.#append(roomId, build(state, prev), txn);
      })
      .immediate();
  }

  async getTxnEventId(txn: TxnKey): Promise<string | undefined> {
    const r = this.#s.getTxn!.get(txn.userId, txn.deviceId, txn.txnId) as { event_id: string } | undefined;
    return r?.event_id;
  }

  async getTxnIdsOfEvents(
    userId: string,
    deviceId: string,
    eventIds: readonly string[],
  ): Promise<Map<string, string>> {
    if (eventIds.length === 0) return new Map();
    const rows = this.#s.txnIdsOfEvents!.all(JSON.stringify(eventIds), userId, deviceId) as {
      event_id: string;
      txn_id: string;
    }[];
    return new Map(rows.map((r) => [r.event_id, r.txn_id]));
  }

  async getEvent(eventId: string): Promise<StoredEvent | undefined> {
    const r = this.#s.getEvent!.get(eventId) as EventRow | undefined;
    return r && rowToEvent(r);
  }

  async getStateEntries(roomId: string, keys: readonly StateKeyRef[]): Promise<StateEntry[]> {
    return this.#stateEntries(roomId, keys);
  }

  #stateEntries(roomId: string, keys: readonly StateKeyRef[]): StateEntry[] {
    const out: StateEntry[] = [];
    for (const k of keys) {
      const r = this.#s.getStateEntry!.get(roomId, k.type, k.stateKey) as EventRow | undefined;
      if (r) out.push({ eventId: r.event_id, event: JSON.parse(r.json) as PDU });
    }
    return out;
  }

  async getFullState(roomId: string): Promise<StateEntry[]> {
    const rows = this.#s.getFullState!.all(roomId) as EventRow[];
    return rows.map((r) => ({ eventId: r.event_id, event: JSON.parse(r.json) as PDU }));
  }

  async getForwardExtremities(roomId: string, limit: number): Promise<Extremity[]> {
    return this.#extremities(roomId, limit);
  }

  #extremities(roomId: string, limit: number): Extremity[] {
    const rows = this.#s.getExtremities!.all(roomId, limit) as { event_id: string; depth: number }[];
    return rows.map((r) => ({ eventId: r.event_id, depth: r.depth }));
  }

  async getRoomEvents(q: RoomEventsQuery): Promise<StoredEvent[]> {
    const stmt = q.dir === 'b' ? this.#s.eventsBackward! : this.#s.eventsForward!;
    return (stmt.all(q.roomId, q.from, q.limit) as EventRow[]).map(rowToEvent);
  }

  async getJoinedRooms(userId: string): Promise<string[]> {
    return (this.#s.joinedRooms!.all(userId) as { room_id: string }[]).map((r) => r.room_id);
  }

  async addContact(
    userId: string,
    contactId: string,
    createdTs: number,
    maxContacts: number,
  ): Promise<AddContactResult> {
    return this.#rt.addContact(userId, contactId, createdTs, maxContacts);
  }

  async removeContact(userId: string, contactId: string): Promise<boolean> {
    return this.#rt.removeContact(userId, contactId);
  }

  async getContacts(userId: string): Promise<UserHandleRecord[]> {
    return this.#rt.getContacts(userId);
  }

  async getContactOf(userId: string): Promise<UserHandleRecord[]> {
    return this.#rt.getContactOf(userId);
  }

  async getJoinedMembers(roomId: string): Promise<UserHandleRecord[]> {
    return this.#rt.getJoinedMembers(roomId);
  }

  async addRealtimeTicket(
    ticketHash: string,
    record: RealtimeTicketRecord,
    expiresTs: number,
    now: number,
    maxPerUser: number,
  ): Promise<boolean> {
    return this.#rt.addRealtimeTicket(ticketHash, record, expiresTs, now, maxPerUser);
  }

  async takeRealtimeTicket(ticketHash: string, now: number): Promise<RealtimeTicketRecord | undefined> {
    return this.#rt.takeRealtimeTicket(ticketHash, now);
  }

  async deleteRealtimeTickets(userId: string, deviceId: string): Promise<number> {
    return this.#rt.deleteRealtimeTickets(userId, deviceId);
  }

  // Sync v3: index rebuild reads and the to-device queue (sqlite-sync-store.ts).
  getRoomHeads(): Promise<RoomHead[]> {
    return this.#sync.getRoomHeads();
  }

  getCurrentStateOfTypes(types: readonly string[]): Promise<StoredEvent[]> {
    return this.#sync.getCurrentStateOfTypes(types);
  }

  getMaxStreamOrdering(): Promise<number> {
    return this.#sync.getMaxStreamOrdering();
  }

  reserveStreamOrdering(): Promise<number> {
    return this.#sync.reserveStreamOrdering();
  }

  getDeviceIds(userId: string): Promise<string[]> {
    return this.#sync.getDeviceIds(userId);
  }

  hasToDeviceTxn(txn: TxnKey): Promise<boolean> {
    return this.#sync.hasToDeviceTxn(txn);
  }

  addToDeviceMessages(
    messages: readonly ToDeviceRecord[],
    txn: TxnKey,
    bounds: ToDeviceBounds,
  ): Promise<ToDeviceAddResult> {
    return this.#sync.addToDeviceMessages(messages, txn, bounds);
  }

  getToDeviceMessages(
    userId: string,
    deviceId: string,
    query: { after: number; upTo: number; limit: number },
  ): Promise<ToDeviceRecord[]> {
    return this.#sync.getToDeviceMessages(userId, deviceId, query);
  }

  deleteToDeviceMessages(userId: string, deviceId: string, upTo: number): Promise<number> {
    return this.#sync.deleteToDeviceMessages(userId, deviceId, upTo);
  }

  countToDeviceMessages(device?: { userId: string; deviceId: string }): Promise<number> {
    return this.#sync.countToDeviceMessages(device);
  }

  getMaxToDevicePosition(): Promise<number> {
    return this.#sync.getMaxToDevicePosition();
  }

  // Federation (sqlite-federation.ts).
  async storeFederatedEvent(
    roomId: string,
    event: NewEvent,
    mode: FederatedEventMode,
  ): Promise<StoredEvent | undefined> {
    return this.#fed.storeFederatedEvent(roomId, event, mode);
  }

  async storeRejectedEvent(
    roomId: string,
    eventId: string,
    json: string,
    reason: string,
    ts: number,
  ): Promise<void> {
    this.#fed.storeRejectedEvent(roomId, eventId, json, reason, ts);
  }

  async getEventStatus(ids: readonly string[]): Promise<{ stored: Set<string>; rejected: Set<string> }> {
    return this.#fed.getEventStatus(ids);
  }

  async getEvents(ids: readonly string[]): Promise<StoredEvent[]> {
    return this.#fed.getEvents(ids);
  }

  async getRoomServers(roomId: string): Promise<RoomServerRecord[]> {
    return this.#fed.getRoomServers(roomId);
  }

  async getBackwardExtremities(roomId: string, limit: number): Promise<string[]> {
    return this.#fed.getBackwardExtremities(roomId, limit);
  }

  async getStateBeforeDepth(roomId: string, depth: number): Promise<StoredEvent[]> {
    return this.#fed.getStateBeforeDepth(roomId, depth);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
