/**
 * The part of the {@link Storage} the realtime channel needs: contacts (presence visibility),
 * realtime tickets, and room members with their handles.
 *
 * @packageDocumentation
 */

/** A local user and its 8-byte realtime handle (16 lowercase hex digits). */
export interface UserHandleRecord {
  userId: string;
  handle: string;
}

/** What a realtime ticket (stored as its SHA-256) stands for. */
export interface RealtimeTicketRecord {
  userId: string;
  deviceId: string;
}

/** The outcome of {@link RealtimeStorage.addContact}. */
export type AddContactResult = 'added' | 'exists' | 'full';

/** Contacts, realtime tickets and joined members, as the realtime channel reads and writes them. */
export interface RealtimeStorage {
  /**
   * Adds `contactId` (a local user) to `userId`'s contacts, unless `userId` already has
   * `maxContacts` of them (`full`).
   */
  addContact(
    userId: string,
    contactId: string,
    createdTs: number,
    maxContacts: number,
  ): Promise<AddContactResult>;
  /** Removes a contact; false when it was not one. */
  removeContact(userId: string, contactId: string): Promise<boolean>;
  /** The users `userId` has added, with their handles. */
  getContacts(userId: string): Promise<UserHandleRecord[]>;
  /** The users who have added `userId`, with their handles. */
  getContactOf(userId: string): Promise<UserHandleRecord[]>;
  /** The local users whose current membership of `roomId` is `join`, with their handles. */
  getJoinedMembers(roomId: string): Promise<UserHandleRecord[]>;

  /**
   * Stores a ticket (its SHA-256) valid until `expiresTs`. Expired tickets are pruned first;
   * returns false (storing nothing) when the user already holds `maxPerUser` unexpired tickets.
   */
  addRealtimeTicket(
    ticketHash: string,
    record: RealtimeTicketRecord,
    expiresTs: number,
    now: number,
    maxPerUser: number,
  ): Promise<boolean>;
  /**
   * Deletes the ticket and returns what it stood for, or `undefined` when it is unknown, already
   * taken or expired at `now`. A ticket can be taken once only.
   */
  takeRealtimeTicket(ticketHash: string, now: number): Promise<RealtimeTicketRecord | undefined>;
  /** Deletes every unused ticket of a device (at logout); returns how many were deleted. */
  deleteRealtimeTickets(userId: string, deviceId: string): Promise<number>;
}
