import type { PDU } from '@parley/core';
import type { Database, Statement } from 'better-sqlite3';
import { rowToToDevice, type ToDeviceRow } from '../rows.js';
import type { StoredEvent, TxnKey } from '../storage.js';
import type {
  RoomHead,
  SyncStorage,
  ToDeviceAddResult,
  ToDeviceBounds,
  ToDeviceRecord,
} from '../sync-storage.js';

/** The {@link SyncStorage} half of `SqliteStorage`, on the same database connection. */
export class SqliteSyncStore implements SyncStorage {
  readonly #db: Database;
  readonly #s: Record<string, Statement>;

  constructor(db: Database) {
    this.#db = db;
    const p = (sql: string): Statement => db.prepare(sql);
    this.#s = {
      roomHeads: p(`SELECT r.room_id, r.handle, e.stream_ordering, e.origin_server_ts
        FROM (SELECT room_id, MAX(stream_ordering) AS so FROM events GROUP BY room_id) m
        JOIN rooms r ON r.room_id = m.room_id JOIN events e ON e.stream_ordering = m.so`),
      maxOrdering: p(`SELECT MAX(
        COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
        COALESCE((SELECT MAX(stream_ordering) FROM events), 0)) AS v`),
      // AUTOINCREMENT hands out max(sqlite_sequence.seq, max rowid) + 1, so moving `seq` up
      // keeps the taken number from ever naming an event (documented SQLite behaviour).
      reserveUpdate: p(`UPDATE sqlite_sequence
        SET seq = MAX(seq, COALESCE((SELECT MAX(stream_ordering) FROM events), 0)) + 1
        WHERE name = 'events' RETURNING seq`),
      reserveInsert: p(`INSERT INTO sqlite_sequence (name, seq)
        VALUES ('events', COALESCE((SELECT MAX(stream_ordering) FROM events), 0) + 1) RETURNING seq`),
      deviceIds: p('SELECT device_id FROM devices WHERE user_id = ? ORDER BY device_id'),
      hasTxn: p('SELECT 1 FROM to_device_txns WHERE user_id = ? AND device_id = ? AND txn_id = ?'),
      insertTxn: p('INSERT INTO to_device_txns (user_id, device_id, txn_id, created_ts) VALUES (?, ?, ?, ?)'),
      pruneTxns: p('DELETE FROM to_device_txns WHERE created_ts < ?'),
      queued: p('SELECT COUNT(*) AS n FROM to_device_messages WHERE user_id = ? AND device_id = ?'),
      insertMsg: p(`INSERT INTO to_device_messages (user_id, device_id, position, type, sender, content)
        VALUES (?, ?, ?, ?, ?, ?)`),
      range: p(`SELECT user_id, device_id, position, type, sender, content FROM to_device_messages
        WHERE user_id = ? AND device_id = ? AND position > ? AND position <= ? ORDER BY position LIMIT ?`),
      deleteUpTo: p('DELETE FROM to_device_messages WHERE user_id = ? AND device_id = ? AND position <= ?'),
      countDevice: p('SELECT COUNT(*) AS n FROM to_device_messages WHERE user_id = ? AND device_id = ?'),
      countAll: p('SELECT COUNT(*) AS n FROM to_device_messages'),
      maxPosition: p('SELECT COALESCE(MAX(position), 0) AS v FROM to_device_messages'),
    };
  }

  async getRoomHeads(): Promise<RoomHead[]> {
    const rows = this.#s.roomHeads!.all() as {
      room_id: string;
      handle: string;
      stream_ordering: number;
      origin_server_ts: number;
    }[];
    return rows.map((r) => ({
      roomId: r.room_id,
      handle: r.handle,
      streamOrdering: r.stream_ordering,
      originServerTs: r.origin_server_ts,
    }));
  }

  async getCurrentStateOfTypes(types: readonly string[]): Promise<StoredEvent[]> {
    if (types.length === 0) return [];
    const marks = types.map(() => '?').join(', ');
    const rows = this.#db
      .prepare(`SELECT e.stream_ordering, e.event_id, e.json FROM current_state cs
        JOIN events e ON e.event_id = cs.event_id WHERE cs.type IN (${marks}) ORDER BY e.stream_ordering`)
      .all(...types) as { stream_ordering: number; event_id: string; json: string }[];
    return rows.map((r) => ({
      streamOrdering: r.stream_ordering,
      eventId: r.event_id,
      event: JSON.parse(r.json) as PDU,
    }));
  }

  async getMaxStreamOrdering(): Promise<number> {
    return (this.#s.maxOrdering!.get() as { v: number }).v;
  }

  async reserveStreamOrdering(): Promise<number> {
    return this.#db.transaction(() => this.#reserveInTransaction()).immediate();
  }

  #reserveInTransaction(): number {
    const row = (this.#s.reserveUpdate!.get() ?? this.#s.reserveInsert!.get()) as { seq: number };
    return row.seq;
  }

  async getDeviceIds(userId: string): Promise<string[]> {
    return (this.#s.deviceIds!.all(userId) as { device_id: string }[]).map((r) => r.device_id);
  }

  async hasToDeviceTxn(txn: TxnKey): Promise<boolean> {
    return this.#s.hasTxn!.get(txn.userId, txn.deviceId, txn.txnId) !== undefined;
  }

  async addToDeviceMessages(
    messages: readonly ToDeviceRecord[],
    txn: TxnKey,
    bounds: ToDeviceBounds,
  ): Promise<ToDeviceAddResult> {
    return this.#db
      .transaction((): ToDeviceAddResult => {
        this.#s.pruneTxns!.run(bounds.now - bounds.txnRetentionMs);
        if (this.#s.hasTxn!.get(txn.userId, txn.deviceId, txn.txnId) !== undefined)
          return { kind: 'duplicate' };
        const adding = new Map<string, { userId: string; deviceId: string; n: number }>();
        for (const m of messages) {
          const key = JSON.stringify([m.userId, m.deviceId]);
          const entry = adding.get(key) ?? { userId: m.userId, deviceId: m.deviceId, n: 0 };
          entry.n++;
          adding.set(key, entry);
        }
        for (const { userId, deviceId, n } of adding.values()) {
          const queued = (this.#s.queued!.get(userId, deviceId) as { n: number }).n;
          if (queued + n > bounds.maxQueuedPerDevice) return { kind: 'queue_full', userId, deviceId };
        }
        const ordering = bounds.orderingBits === undefined ? undefined : this.#reserveInTransaction();
        const base = ordering === undefined ? 0 : ordering * 2 ** bounds.orderingBits!;
        messages.forEach((m, i) => {
          const content = JSON.stringify(m.content);
          const position = ordering === undefined ? m.position : base + i + 1;
          this.#s.insertMsg!.run(m.userId, m.deviceId, position, m.type, m.sender, content);
        });
        this.#s.insertTxn!.run(txn.userId, txn.deviceId, txn.txnId, bounds.now);
        return ordering === undefined ? { kind: 'stored' } : { kind: 'stored', ordering };
      })
      .immediate();
  }

  async getToDeviceMessages(
    userId: string,
    deviceId: string,
    query: { after: number; upTo: number; limit: number },
  ): Promise<ToDeviceRecord[]> {
    const rows = this.#s.range!.all(userId, deviceId, query.after, query.upTo, query.limit) as ToDeviceRow[];
    return rows.map(rowToToDevice);
  }

  async deleteToDeviceMessages(userId: string, deviceId: string, upTo: number): Promise<number> {
    return this.#s.deleteUpTo!.run(userId, deviceId, upTo).changes;
  }

  async countToDeviceMessages(device?: { userId: string; deviceId: string }): Promise<number> {
    const row =
      device === undefined
        ? this.#s.countAll!.get()
        : this.#s.countDevice!.get(device.userId, device.deviceId);
    return (row as { n: number }).n;
  }

  async getMaxToDevicePosition(): Promise<number> {
    return (this.#s.maxPosition!.get() as { v: number }).v;
  }
}
