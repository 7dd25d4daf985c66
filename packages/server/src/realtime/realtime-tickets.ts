import type { Clock, Random } from '@parley/core';
import { hashAccessToken } from '../auth/access-tokens.js';
import type { RealtimeTicketRecord } from '../storage/realtime-storage.js';
import type { Storage } from '../storage/storage.js';
import { MAX_REALTIME_TICKETS_PER_USER, REALTIME_TICKET_TTL_MS } from './realtime-config.js';

/** A ticket as the client gets it. */
export interface IssuedTicket {
  ticket: string;
  /** Seconds it stays valid. */
  expiresIn: number;
}

/**
 * Single-use tickets for the realtime WebSocket, for clients (browsers) that cannot set an
 * `Authorization` header on a WebSocket: 256 random bits, stored only as their SHA-256, bound to
 * the user and device that asked, valid for {@link REALTIME_TICKET_TTL_MS}.
 */
export class RealtimeTickets {
  readonly #storage: Storage;
  readonly #clock: Clock;
  readonly #random: Random;

  constructor(storage: Storage, clock: Clock, random: Random) {
    this.#storage = storage;
    this.#clock = clock;
    this.#random = random;
  }

  /** A new ticket for the device, or `undefined` when the user holds too many unexpired ones. */
  async issue(owner: RealtimeTicketRecord): Promise<IssuedTicket | undefined> {
    const ticket = Buffer.from(this.#random.bytes(32)).toString('base64url');
    const now = this.#clock.now();
    const stored = await this.#storage.addRealtimeTicket(
      hashAccessToken(ticket),
      { userId: owner.userId, deviceId: owner.deviceId },
      now + REALTIME_TICKET_TTL_MS,
      now,
      MAX_REALTIME_TICKETS_PER_USER,
    );
    return stored ? { ticket, expiresIn: REALTIME_TICKET_TTL_MS / 1000 } : undefined;
  }

  /** Deletes every unused ticket of a device (at logout); resolves to how many there were. */
  revokeDevice(userId: string, deviceId: string): Promise<number> {
    return this.#storage.deleteRealtimeTickets(userId, deviceId);
  }

  /** Takes (uses up) a ticket: its user and device, or `undefined` when unknown, used or expired. */
  take(ticket: string): Promise<RealtimeTicketRecord | undefined> {
    // Anything else cannot be one of ours; no need to hash and look it up.
    if (!/^[A-Za-z0-9_-]{43}$/.test(ticket)) return Promise.resolve(undefined);
    return this.#storage.takeRealtimeTicket(hashAccessToken(ticket), this.#clock.now());
  }
}
