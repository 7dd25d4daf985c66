import type { PDU } from '@parley/core';
import type pg from 'pg';
import { rowToToDevice, type ToDeviceRow } from '../rows.js';
import type { StoredEvent, TxnKey } from '../storage.js';
import type {
  RoomHead,
  SyncStorage,
  ToDeviceAddResult,
  ToDeviceBounds,
  ToDeviceRecord,
} from '../sync-storage.js';
import { inTransaction } from './pg-pool.js';

/** Rolls the transaction back and makes {@link inTransaction} resolve with `result`. */
class Abandon {
  constructor(readonly result: ToDeviceAddResult) {}
}

/**
 * The {@link SyncStorage} half of `PostgresStorage`. Queue bounds are checked under locks on the
 * recipients' device rows (taken in one order), so instances sending at once cannot together
 * overfill a queue; a txn id is claimed with its unique key, so a retry sent to another
 * instance is still stored once.
 *
 * @internal
 */
export class PgSyncStore implements SyncStorage {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async getRoomHeads(): Promise<RoomHead[]> {
    const { rows } = await this.#pool.query<{
      room_id: string;
      handle: string;
      stream_ordering: number;
      origin_server_ts: number;
    }>(`SELECT r.room_id, r.handle, e.stream_ordering, e.origin_server_ts
      FROM (SELECT room_id, MAX(stream_ordering) AS so FROM events GROUP BY room_id) m
      JOIN rooms r ON r.room_id = m.room_id JOIN events e ON e.stream_ordering = m.so`);
    return rows.map((r) => ({
      roomId: r.room_id,
      handle: r.handle,
      streamOrdering: r.stream_ordering,
      originServerTs: r.origin_server_ts,
    }));
  }

  async getCurrentStateOfTypes(types: readonly string[]): Promise<StoredEvent[]> {
    if (types.length === 0) return [];
    const { rows } = await this.#pool.query<{ stream_ordering: number; event_id: string; json: string }>(
      `SELECT e.stream_ordering, e.event_id, e.json FROM current_state cs
       JOIN events e ON e.event_id = cs.event_id WHERE cs.type = ANY($1::text[]) ORDER BY e.stream_ordering`,
      [types],
    );
    return rows.map((r) => ({
      streamOrdering: r.stream_ordering,
      eventId: r.event_id,
      event: JSON.parse(r.json) as PDU,
    }));
  }

  async getMaxStreamOrdering(): Promise<number> {
    // Only committed values are visible: every ordering up to this one is stored or reserved.
    const { rows } = await this.#pool.query<{ pos: number }>('SELECT pos FROM stream_position');
    return rows[0]!.pos;
  }

  async reserveStreamOrdering(): Promise<number> {
    const { rows } = await this.#pool.query<{ pos: number }>(
      'UPDATE stream_position SET pos = pos + 1 RETURNING pos',
    );
    return rows[0]!.pos;
  }

  async getDeviceIds(userId: string): Promise<string[]> {
    const { rows } = await this.#pool.query<{ device_id: string }>(
      'SELECT device_id FROM devices WHERE user_id = $1 ORDER BY device_id',
      [userId],
    );
    return rows.map((r) => r.device_id);
  }

  async hasToDeviceTxn(txn: TxnKey): Promise<boolean> {
    const r = await this.#pool.query(
      'SELECT 1 FROM to_device_txns WHERE user_id = $1 AND device_id = $2 AND txn_id = $3',
      [txn.userId, txn.deviceId, txn.txnId],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async addToDeviceMessages(
    messages: readonly ToDeviceRecord[],
    txn: TxnKey,
    bounds: ToDeviceBounds,
  ): Promise<ToDeviceAddResult> {
    try {
      return await inTransaction(this.#pool, async (c): Promise<ToDeviceAddResult> => {
        await c.query('DELETE FROM to_device_txns WHERE created_ts < $1', [
          bounds.now - bounds.txnRetentionMs,
        ]);
        const claimed = await c.query(
          `INSERT INTO to_device_txns (user_id, device_id, txn_id, created_ts) VALUES ($1, $2, $3, $4)
           ON CONFLICT DO NOTHING`,
          [txn.userId, txn.deviceId, txn.txnId, bounds.now],
        );
        if (claimed.rowCount === 0) return { kind: 'duplicate' };
        const adding = new Map<string, { userId: string; deviceId: string; n: number }>();
        for (const m of messages) {
          const key = JSON.stringify([m.userId, m.deviceId]);
          const entry = adding.get(key) ?? { userId: m.userId, deviceId: m.deviceId, n: 0 };
          entry.n++;
          adding.set(key, entry);
        }
        const targets = [...adding.values()];
        await c.query(
          `SELECT 1 FROM devices WHERE (user_id, device_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
           ORDER BY user_id, device_id FOR UPDATE`,
          [targets.map((t) => t.userId), targets.map((t) => t.deviceId)],
        );
        const { rows } = await c.query<{ user_id: string; device_id: string; n: number }>(
          `SELECT user_id, device_id, COUNT(*) AS n FROM to_device_messages
           WHERE (user_id, device_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
           GROUP BY user_id, device_id`,
          [targets.map((t) => t.userId), targets.map((t) => t.deviceId)],
        );
        const queued = new Map(rows.map((r) => [JSON.stringify([r.user_id, r.device_id]), r.n]));
        for (const [key, { userId, deviceId, n }] of adding) {
          if ((queued.get(key) ?? 0) + n > bounds.maxQueuedPerDevice) {
            throw new Abandon({ kind: 'queue_full', userId, deviceId });
          }
        }
        let ordering: number | undefined;
        if (bounds.orderingBits !== undefined) {
          // Taken last, like an event's: the counter row stays locked until COMMIT, so sends
          // and events commit in ordering order (see the stream_position table).
          const taken = await c.query<{ pos: number }>(
            'UPDATE stream_position SET pos = pos + 1 RETURNING pos',
          );
          ordering = taken.rows[0]!.pos;
        }
        const base = ordering === undefined ? 0 : ordering * 2 ** bounds.orderingBits!;
        await c.query(
          `INSERT INTO to_device_messages (user_id, device_id, position, type, sender, content)
           SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[])`,
          [
            messages.map((m) => m.userId),
            messages.map((m) => m.deviceId),
            messages.map((m, i) => (ordering === undefined ? m.position : base + i + 1)),
            messages.map((m) => m.type),
            messages.map((m) => m.sender),
            messages.map((m) => JSON.stringify(m.content)),
          ],
        );
        return ordering === undefined ? { kind: 'stored' } : { kind: 'stored', ordering };
      });
    } catch (err) {
      if (err instanceof Abandon) return err.result;
      throw err;
    }
  }

  async getToDeviceMessages(
    userId: string,
    deviceId: string,
    query: { after: number; upTo: number; limit: number },
  ): Promise<ToDeviceRecord[]> {
    const { rows } = await this.#pool.query<ToDeviceRow>(
      `SELECT user_id, device_id, position, type, sender, content FROM to_device_messages
       WHERE user_id = $1 AND device_id = $2 AND position > $3 AND position <= $4 ORDER BY position LIMIT $5`,
      [userId, deviceId, query.after, query.upTo, query.limit],
    );
    return rows.map(rowToToDevice);
  }

  async deleteToDeviceMessages(userId: string, deviceId: string, upTo: number): Promise<number> {
    const r = await this.#pool.query(
      'DELETE FROM to_device_messages WHERE user_id = $1 AND device_id = $2 AND position <= $3',
      [userId, deviceId, upTo],
    );
    return r.rowCount ?? 0;
  }

  async countToDeviceMessages(device?: { userId: string; deviceId: string }): Promise<number> {
    const { rows } =
      device === undefined
        ? await this.#pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM to_device_messages')
        : await this.#pool.query<{ n: number }>(
            'SELECT COUNT(*) AS n FROM to_device_messages WHERE user_id = $1 AND device_id = $2',
            [device.userId, device.deviceId],
          );
    return rows[0]!.n;
  }

  async getMaxToDevicePosition(): Promise<number> {
    const { rows } = await this.#pool.query<{ v: number }>(
      'SELECT COALESCE(MAX(position), 0) AS v FROM to_device_messages',
    );
    return rows[0]!.v;
  }
}

/** Sync v3's to-device queue (migration 3, as `SYNC_MIGRATION_SQL` is for SQLite). */
export const PG_SYNC_MIGRATION_SQL = `
  CREATE TABLE to_device_messages (
    user_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    position BIGINT NOT NULL,
    type TEXT NOT NULL,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, position)
  );
  CREATE TABLE to_device_txns (
    user_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    txn_id TEXT COLLATE "C" NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
  );
  CREATE INDEX to_device_txns_created ON to_device_txns (created_ts);
`;
