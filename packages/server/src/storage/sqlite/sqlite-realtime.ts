import type { Database, Statement } from 'better-sqlite3';
import type { AddContactResult, RealtimeTicketRecord, UserHandleRecord } from '../realtime-storage.js';

interface HandleRow {
  user_id: string;
  handle: string;
}

const toRecords = (rows: unknown[]): UserHandleRecord[] =>
  (rows as HandleRow[]).map((r) => ({ userId: r.user_id, handle: r.handle }));

/**
 * The realtime tables of {@link SqliteStorage} (contacts, realtime tickets) and the member query,
 * kept apart from the room tables. Methods are synchronous; SqliteStorage wraps them.
 *
 * @internal
 */
export class SqliteRealtimeTables {
  readonly #db: Database;
  readonly #s: Record<string, Statement>;

  constructor(db: Database) {
    this.#db = db;
    const p = (sql: string): Statement => db.prepare(sql);
    this.#s = {
      hasContact: p('SELECT 1 FROM contacts WHERE user_id = ? AND contact_id = ?'),
      countContacts: p('SELECT COUNT(*) AS n FROM contacts WHERE user_id = ?'),
      insertContact: p('INSERT INTO contacts (user_id, contact_id, created_ts) VALUES (?, ?, ?)'),
      deleteContact: p('DELETE FROM contacts WHERE user_id = ? AND contact_id = ?'),
      contacts: p(`SELECT u.user_id, u.handle FROM contacts c JOIN users u ON u.user_id = c.contact_id
        WHERE c.user_id = ? ORDER BY u.user_id`),
      contactOf: p(`SELECT u.user_id, u.handle FROM contacts c JOIN users u ON u.user_id = c.user_id
        WHERE c.contact_id = ? ORDER BY u.user_id`),
      joinedMembers:
        p(`SELECT u.user_id, u.handle FROM current_state cs JOIN users u ON u.user_id = cs.state_key
        WHERE cs.room_id = ? AND cs.type = 'm.room.member' AND cs.membership = 'join' ORDER BY u.user_id`),
      pruneTickets: p('DELETE FROM realtime_tickets WHERE expires_ts <= ?'),
      countTickets: p('SELECT COUNT(*) AS n FROM realtime_tickets WHERE user_id = ?'),
      insertTicket: p(
        'INSERT INTO realtime_tickets (ticket_hash, user_id, device_id, expires_ts) VALUES (?, ?, ?, ?)',
      ),
      takeTicket: p(
        'DELETE FROM realtime_tickets WHERE ticket_hash = ? RETURNING user_id, device_id, expires_ts',
      ),
      deleteDeviceTickets: p('DELETE FROM realtime_tickets WHERE user_id = ? AND device_id = ?'),
    };
  }

  addContact(userId: string, contactId: string, createdTs: number, maxContacts: number): AddContactResult {
    return this.#db
      .transaction((): AddContactResult => {
        if (this.#s.hasContact!.get(userId, contactId)) return 'exists';
        const { n } = this.#s.countContacts!.get(userId) as { n: number };
        if (n >= maxContacts) return 'full';
        this.#s.insertContact!.run(userId, contactId, createdTs);
        return 'added';
      })
      .immediate();
  }

  removeContact(userId: string, contactId: string): boolean {
    return this.#s.deleteContact!.run(userId, contactId).changes > 0;
  }

  getContacts(userId: string): UserHandleRecord[] {
    return toRecords(this.#s.contacts!.all(userId));
  }

  getContactOf(userId: string): UserHandleRecord[] {
    return toRecords(this.#s.contactOf!.all(userId));
  }

  getJoinedMembers(roomId: string): UserHandleRecord[] {
    return toRecords(this.#s.joinedMembers!.all(roomId));
  }

  addRealtimeTicket(
    ticketHash: string,
    record: RealtimeTicketRecord,
    expiresTs: number,
    now: number,
    maxPerUser: number,
  ): boolean {
    return this.#db
      .transaction((): boolean => {
        this.#s.pruneTickets!.run(now);
        const { n } = this.#s.countTickets!.get(record.userId) as { n: number };
        if (n >= maxPerUser) return false;
        this.#s.insertTicket!.run(ticketHash, record.userId, record.deviceId, expiresTs);
        return true;
      })
      .immediate();
  }

  takeRealtimeTicket(ticketHash: string, now: number): RealtimeTicketRecord | undefined {
    const r = this.#s.takeTicket!.get(ticketHash) as
      | { user_id: string; device_id: string; expires_ts: number }
      | undefined;
    if (r === undefined || r.expires_ts <= now) return undefined;
    return { userId: r.user_id, deviceId: r.device_id };
  }

  deleteRealtimeTickets(userId: string, deviceId: string): number {
    return this.#s.deleteDeviceTickets!.run(userId, deviceId).changes;
  }
}

/** The schema of these tables (a migration of {@link SqliteStorage}). */
export const REALTIME_TABLES_SQL = `
  -- A contact is one-sided; presence visibility needs both rows.
  CREATE TABLE contacts (
    user_id TEXT NOT NULL REFERENCES users(user_id),
    contact_id TEXT NOT NULL REFERENCES users(user_id),
    created_ts INTEGER NOT NULL,
    PRIMARY KEY (user_id, contact_id)
  );
  CREATE INDEX contacts_reverse ON contacts (contact_id);
  -- Tickets are stored as SHA-256 hashes, like access tokens.
  CREATE TABLE realtime_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    expires_ts INTEGER NOT NULL
  );
  CREATE INDEX realtime_tickets_user ON realtime_tickets (user_id);
  CREATE INDEX realtime_tickets_expiry ON realtime_tickets (expires_ts);
`;
