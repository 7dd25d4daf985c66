import type { StateEntry } from '@parley/core';
import type pg from 'pg';
import { matrixError } from '../../http/matrix-errors.js';
import type { FederationStorage } from '../federation-storage.js';
import type { RealtimeStorage } from '../realtime-storage.js';
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
import type { SyncStorage } from '../sync-storage.js';
import * as ev from './pg-events.js';
import { PgFederationTables } from './pg-federation.js';
import { applyPgMigrations } from './pg-migrations.js';
import { createPool, inTransaction, isPgError, type PostgresOptions, UNIQUE_VIOLATION } from './pg-pool.js';
import { PgRealtimeTables } from './pg-realtime.js';
import { PgSyncStore } from './pg-sync.js';

/**
 * The {@link Storage} on PostgreSQL (pg, with a pool), for running several server instances on
 * one database. Same semantics as `SqliteStorage`: every write resolves after its COMMIT;
 * migrations are applied at start. What differs is that other instances write too, so
 * `appendEvent` checks under row locks what the single SQLite writer gets for free (see
 * `pg-events.ts` and docs/scale-out.md).
 */
export class PostgresStorage implements Storage {
  readonly #pool: pg.Pool;
  readonly #rt: PgRealtimeTables;
  readonly #sync: PgSyncStore;
  readonly #fed: PgFederationTables;
  #closing: Promise<void> | undefined;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
    this.#rt = new PgRealtimeTables(pool);
    this.#sync = new PgSyncStore(pool);
    this.#fed = new PgFederationTables(pool);
  }

  /**
   * Connects, and applies pending migrations (in one transaction, under an advisory lock, so
   * instances may start together).
   *
   * @throws when the database cannot be reached, or its schema is newer than this server's.
   */
  static async open(options: PostgresOptions): Promise<PostgresStorage> {
    // Migrations get a connection of their own without the query timeout: on a big database a
    // step may rightly take long.
    const migrator = createPool({ ...options, poolSize: 1, queryTimeoutMs: 0 });
    try {
      await applyPgMigrations(migrator);
    } finally {
      await migrator.end();
    }
    return new PostgresStorage(createPool(options));
  }

  /** The pool (for tests and metrics). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async getMeta(key: string): Promise<string | undefined> {
    const { rows } = await this.#pool.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [
      key,
    ]);
    return rows[0]?.value;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.#pool.query(
      'INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  async #allocateHandle(
    c: pg.PoolClient,
    newHandle: HandleFactory,
    kind: string,
    target: string,
  ): Promise<string> {
    // 64 random bits: a collision is rare enough that a few retries never run out in practice.
    for (let i = 0; i < 16; i++) {
      const handle = newHandle();
      if (/^0+$/.test(handle)) continue;
      const r = await c.query(
        'INSERT INTO handles (handle, kind, target) VALUES ($1, $2, $3) ON CONFLICT (handle) DO NOTHING',
        [handle, kind, target],
      );
      if (r.rowCount === 1) return handle;
    }
    throw new Error('could not allocate a free handle');
  }

  async createUser(user: Omit<UserRecord, 'handle'>, newHandle: HandleFactory): Promise<UserRecord> {
    const inUse = () => matrixError('M_USER_IN_USE', 'User ID already taken');
    try {
      return await inTransaction(this.#pool, async (c) => {
        const exists = await c.query('SELECT 1 FROM users WHERE user_id = $1 OR localpart = $2', [
          user.userId,
          user.localpart,
        ]);
        if (exists.rowCount) throw inUse();
        const handle = await this.#allocateHandle(c, newHandle, 'user', user.userId);
        await c.query(
          'INSERT INTO users (user_id, localpart, password_hash, handle, created_ts) VALUES ($1, $2, $3, $4, $5)',
          [user.userId, user.localpart, user.passwordHash, handle, user.createdTs],
        );
        return { ...user, handle };
      });
    } catch (err) {
      // Another instance registered the same user between the check and the insert.
      if (isPgError(err, UNIQUE_VIOLATION)) throw inUse();
      throw err;
    }
  }

  async getUser(userId: string): Promise<UserRecord | undefined> {
    const { rows } = await this.#pool.query<{
      user_id: string;
      localpart: string;
      password_hash: string;
      handle: string;
      created_ts: number;
    }>('SELECT user_id, localpart, password_hash, handle, created_ts FROM users WHERE user_id = $1', [
      userId,
    ]);
    const r = rows[0];
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
    await inTransaction(this.#pool, async (c) => {
      await c.query(
        'INSERT INTO devices (user_id, device_id, created_ts) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [record.userId, record.deviceId, createdTs],
      );
      await c.query(
        'INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES ($1, $2, $3, $4)',
        [tokenHash, record.userId, record.deviceId, createdTs],
      );
    });
  }

  async getAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined> {
    const { rows } = await this.#pool.query<{ user_id: string; device_id: string }>({
      name: 'parley_get_token',
      text: 'SELECT user_id, device_id FROM access_tokens WHERE token_hash = $1',
      values: [tokenHash],
    });
    const r = rows[0];
    return r && { userId: r.user_id, deviceId: r.device_id };
  }

  async deleteAccessToken(tokenHash: string): Promise<void> {
    await this.#pool.query('DELETE FROM access_tokens WHERE token_hash = $1', [tokenHash]);
  }

  async createRoom(
    room: Omit<RoomRecord, 'handle'>,
    newHandle: HandleFactory,
    events: readonly NewEvent[],
  ): Promise<{ room: RoomRecord; events: StoredEvent[] }> {
    return inTransaction(this.#pool, async (c) => {
      const handle = await this.#allocateHandle(c, newHandle, 'room', room.roomId);
      await c.query(
        'INSERT INTO rooms (room_id, handle, room_version, creator, created_ts) VALUES ($1, $2, $3, $4, $5)',
        [room.roomId, handle, room.roomVersion, room.creator, room.createdTs],
      );
      const stored: StoredEvent[] = [];
      for (const e of events) stored.push(await ev.appendInTransaction(c, room.roomId, e));
      return { room: { ...room, handle }, events: stored };
    });
  }

  async getRoom(roomId: string): Promise<RoomRecord | undefined> {
    const { rows } = await this.#pool.query<{
      room_id: string;
      handle: string;
      room_version: string;
      creator: string;
      created_ts: number;
    }>({
      name: 'parley_get_room',
      text: 'SELECT room_id, handle, room_version, creator, created_ts FROM rooms WHERE room_id = $1',
      values: [roomId],
    });
    const r = rows[0];
    if (!r) return undefined;
    return {
      roomId: r.room_id,
      handle: r.handle,
      roomVersion: r.room_version,
      creator: r.creator,
      createdTs: r.created_ts,
    };
  }

  appendEvent(roomId: string, event: NewEvent, txn?: TxnKey): Promise<StoredEvent> {
    return inTransaction(this.#pool, (c) => ev.appendInTransaction(c, roomId, event, txn));
  }

  appendBuiltEvent(
    roomId: string,
    stateKeys: readonly StateKeyRef[],
    maxPrevEvents: number,
    build: (state: StateEntry[], prevEvents: Extremity[]) => NewEvent,
    txn?: TxnKey,
  ): Promise<StoredEvent> {
    return inTransaction(this.#pool, async (c) => {
      // The room row stays locked until COMMIT: other instances' appends to the room wait here,
      // in turn, instead of building on what this one is about to change.
      await ev.lockRoom(c, roomId);
      const { state, prev } = await ev.getBuildInputs(c, roomId, stateKeys, maxPrevEvents);
      return ev.appendInTransaction(c, roomId, build(state, prev), txn, { roomLocked: true });
    });
  }

  getTxnEventId(txn: TxnKey): Promise<string | undefined> {
    return ev.getTxnEventId(this.#pool, txn);
  }

  getTxnIdsOfEvents(
    userId: string,
    deviceId: string,
    eventIds: readonly string[],
  ): Promise<Map<string, string>> {
    return ev.getTxnIdsOfEvents(this.#pool, userId, deviceId, eventIds);
  }

  getEvent(eventId: string): Promise<StoredEvent | undefined> {
    return ev.getEvent(this.#pool, eventId);
  }

  getStateEntries(roomId: string, keys: readonly StateKeyRef[]): Promise<StateEntry[]> {
    return ev.getStateEntries(this.#pool, roomId, keys);
  }

  getFullState(roomId: string): Promise<StateEntry[]> {
    return ev.getFullState(this.#pool, roomId);
  }

  getForwardExtremities(roomId: string, limit: number): Promise<Extremity[]> {
    return ev.getForwardExtremities(this.#pool, roomId, limit);
  }

  getRoomEvents(query: RoomEventsQuery): Promise<StoredEvent[]> {
    return ev.getRoomEvents(this.#pool, query);
  }

  getJoinedRooms(userId: string): Promise<string[]> {
    return ev.getJoinedRooms(this.#pool, userId);
  }

  // The realtime, sync and federation methods live in their own files (pg-realtime.ts, …).
  readonly addContact: RealtimeStorage['addContact'] = (...a) => this.#rt.addContact(...a);
  readonly removeContact: RealtimeStorage['removeContact'] = (...a) => this.#rt.removeContact(...a);
  readonly getContacts: RealtimeStorage['getContacts'] = (...a) => this.#rt.getContacts(...a);
  readonly getContactOf: RealtimeStorage['getContactOf'] = (...a) => this.#rt.getContactOf(...a);
  readonly getJoinedMembers: RealtimeStorage['getJoinedMembers'] = (...a) => this.#rt.getJoinedMembers(...a);
  readonly addRealtimeTicket: RealtimeStorage['addRealtimeTicket'] = (...a) =>
    this.#rt.addRealtimeTicket(...a);
  readonly takeRealtimeTicket: RealtimeStorage['takeRealtimeTicket'] = (...a) =>
    this.#rt.takeRealtimeTicket(...a);
  readonly deleteRealtimeTickets: RealtimeStorage['deleteRealtimeTickets'] = (...a) =>
    this.#rt.deleteRealtimeTickets(...a);

  readonly getRoomHeads: SyncStorage['getRoomHeads'] = (...a) => this.#sync.getRoomHeads(...a);
  readonly getCurrentStateOfTypes: SyncStorage['getCurrentStateOfTypes'] = (...a) =>
    this.#sync.getCurrentStateOfTypes(...a);
  readonly getMaxStreamOrdering: SyncStorage['getMaxStreamOrdering'] = (...a) =>
    this.#sync.getMaxStreamOrdering(...a);
  readonly reserveStreamOrdering: SyncStorage['reserveStreamOrdering'] = (...a) =>
    this.#sync.reserveStreamOrdering(...a);
  readonly getDeviceIds: SyncStorage['getDeviceIds'] = (...a) => this.#sync.getDeviceIds(...a);
  readonly hasToDeviceTxn: SyncStorage['hasToDeviceTxn'] = (...a) => this.#sync.hasToDeviceTxn(...a);
  readonly addToDeviceMessages: SyncStorage['addToDeviceMessages'] = (...a) =>
    this.#sync.addToDeviceMessages(...a);
  readonly getToDeviceMessages: SyncStorage['getToDeviceMessages'] = (...a) =>
    this.#sync.getToDeviceMessages(...a);
  readonly deleteToDeviceMessages: SyncStorage['deleteToDeviceMessages'] = (...a) =>
    this.#sync.deleteToDeviceMessages(...a);
  readonly countToDeviceMessages: SyncStorage['countToDeviceMessages'] = (...a) =>
    this.#sync.countToDeviceMessages(...a);
  readonly getMaxToDevicePosition: SyncStorage['getMaxToDevicePosition'] = (...a) =>
    this.#sync.getMaxToDevicePosition(...a);

  readonly storeFederatedEvent: FederationStorage['storeFederatedEvent'] = (...a) =>
    this.#fed.storeFederatedEvent(...a);
  readonly storeRejectedEvent: FederationStorage['storeRejectedEvent'] = (...a) =>
    this.#fed.storeRejectedEvent(...a);
  readonly getEventStatus: FederationStorage['getEventStatus'] = (...a) => this.#fed.getEventStatus(...a);
  readonly getEvents: FederationStorage['getEvents'] = (...a) => this.#fed.getEvents(...a);
  readonly getRoomServers: FederationStorage['getRoomServers'] = (...a) => this.#fed.getRoomServers(...a);
  readonly getBackwardExtremities: FederationStorage['getBackwardExtremities'] = (...a) =>
    this.#fed.getBackwardExtremities(...a);
  readonly getStateBeforeDepth: FederationStorage['getStateBeforeDepth'] = (...a) =>
    this.#fed.getStateBeforeDepth(...a);

  /** Waits for queries in flight, then closes every connection. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#pool.end();
    return this.#closing;
  }
}
