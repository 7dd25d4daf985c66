import type { PDU } from './pdu.js';

/**
 * The outcome of an authorization check. `rule` is the number of the room version 11 rule that
 * decided a rejection (e.g. `"4.3.3"`: a banned user tries to join), `reason` says it in words.
 */
export type AuthResult = { ok: true } | { ok: false; rule: string; reason: string };

/** Options of {@link authorizeEvent}. */
export interface AuthorizeOptions {
  /**
   * Checks that `event` is validly signed by `serverName` (rule 4.2: a member event naming a
   * `join_authorised_via_users_server` must carry that user's server's signature). The rules are
   * pure and hold no keys, so without this callback such events are rejected.
   */
  verifyServerSignature?: (event: PDU, serverName: string) => boolean;
}

/** The shared "allowed" result. */
export const ALLOW: AuthResult = Object.freeze({ ok: true });

/** A rejection by `rule`. */
export function reject(rule: string, reason: string): AuthResult {
  return { ok: false, rule, reason };
}
