import type pg from 'pg';
import type { AddContactResult, RealtimeTicketRecord, UserHandleRecord } from '../realtime-storage.js';
import { inTransaction } from './pg-pool.js';

interface HandleRow {
  user_id: string;
  handle: string;
}

const toRecords = (rows: HandleRow[]): UserHandleRecord[] =>
  rows.map((r) => ({ userId: r.user_id, handle: r.handle }));

/**
 * The realtime tables of {@link PostgresStorage} (contacts, realtime tickets) and the member
 * query. Per-user bounds are checked under a lock on the user's row, so instances adding at
 * the same time cannot together pass a bound.
 *
 * @internal
 */
export class PgRealtimeTables {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  addContact(
    userId: string,
    contactId: string,
    createdTs: number,
    maxContacts: number,
  ): Promise<AddContactResult> {
    return inTransaction(this.#pool, async (c): Promise<AddContactResult> => {
      await c.query('SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE', [userId]);
      const has = await c.query('SELECT 1 FROM contacts WHERE user_id = $1 AND contact_id = $2', [
        userId,
        contactId,
      ]);
      if (has.rowCount) return 'exists';
      const { rows } = await c.query<{ n: number }>('SELECT COUNT(*) AS n FROM contacts WHERE user_id = $1', [
        userId,
      ]);
      if (rows[0]!.n >= maxContacts) return 'full';
      await c.query('INSERT INTO contacts (user_id, contact_id, created_ts) VALUES ($1, $2, $3)', [
        userId,
        contactId,
        createdTs,
      ]);
      return 'added';
    });
  }

  async removeContact(userId: string, contactId: string): Promise<boolean> {
    const r = await this.#pool.query('DELETE FROM contacts WHERE user_id = $1 AND contact_id = $2', [
      userId,
      contactId,
    ]);
    return (r.rowCount ?? 0) > 0;
  }

  async getContacts(userId: string): Promise<UserHandleRecord[]> {
    const { rows } = await this.#pool.query<HandleRow>(
      `SELECT u.user_id, u.handle FROM contacts c JOIN users u ON u.user_id = c.contact_id
       WHERE c.user_id = $1 ORDER BY u.user_id`,
      [userId],
    );
    return toRecords(rows);
  }

  async getContactOf(userId: string): Promise<UserHandleRecord[]> {
    const { rows } = await this.#pool.query<HandleRow>(
      `SELECT u.user_id, u.handle FROM contacts c JOIN users u ON u.user_id = c.user_id
       WHERE c.contact_id = $1 ORDER BY u.user_id`,
      [userId],
    );
    return toRecords(rows);
  }

  async getJoinedMembers(roomId: string): Promise<UserHandleRecord[]> {
    const { rows } = await this.#pool.query<HandleRow>(
      `SELECT u.user_id, u.handle FROM current_state cs JOIN users u ON u.user_id = cs.state_key
       WHERE cs.room_id = $1 AND cs.type = 'm.room.member' AND cs.membership = 'join' ORDER BY u.user_id`,
      [roomId],
    );
    return toRecords(rows);
  }

  addRealtimeTicket(
    ticketHash: string,
    record: RealtimeTicketRecord,
    expiresTs: number,
    now: number,
    maxPerUser: number,
  ): Promise<boolean> {
    return inTransaction(this.#pool, async (c) => {
      await c.query('SELECT 1 FROM users WHERE user_id = $1 FOR UPDATE', [record.userId]);
      await c.query('DELETE FROM realtime_tickets WHERE expires_ts <= $1', [now]);
      const { rows } = await c.query<{ n: number }>(
        'SELECT COUNT(*) AS n FROM realtime_tickets WHERE user_id = $1',
        [record.userId],
      );
      if (rows[0]!.n >= maxPerUser) return false;
      await c.query(
        'INSERT INTO realtime_tickets (ticket_hash, user_id, device_id, expires_ts) VALUES ($1, $2, $3, $4)',
        [ticketHash, record.userId, record.deviceId, expiresTs],
      );
      return true;
    });
  }

  async takeRealtimeTicket(ticketHash: string, now: number): Promise<RealtimeTicketRecord | undefined> {
    const { rows } = await this.#pool.query<{ user_id: string; device_id: string; expires_ts: number }>(
      'DELETE FROM realtime_tickets WHERE ticket_hash = $1 RETURNING user_id, device_id, expires_ts',
      [ticketHash],
    );
    const r = rows[0];
    if (r === undefined || r.expires_ts <= now) return undefined;
    return { userId: r.user_id, deviceId: r.device_id };
  }

  async deleteRealtimeTickets(userId: string, deviceId: string): Promise<number> {
    const r = await this.#pool.query('DELETE FROM realtime_tickets WHERE user_id = $1 AND device_id = $2', [
      userId,
      deviceId,
    ]);
    return r.rowCount ?? 0;
  }
}

/** The schema of these tables (migration 2, as `REALTIME_TABLES_SQL` is for SQLite). */
export const PG_REALTIME_TABLES_SQL = `
  CREATE TABLE contacts (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(user_id),
    contact_id TEXT COLLATE "C" NOT NULL REFERENCES users(user_id),
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, contact_id)
  );
  CREATE INDEX contacts_reverse ON contacts (contact_id);
  CREATE TABLE realtime_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL,
    device_id TEXT COLLATE "C" NOT NULL,
    expires_ts BIGINT NOT NULL
  );
  CREATE INDEX realtime_tickets_user ON realtime_tickets (user_id);
  CREATE INDEX realtime_tickets_expiry ON realtime_tickets (expires_ts);
`;
