import { invalidParam } from '../http/matrix-errors.js';

/**
 * `/messages` pagination tokens. A token names a position between two events of the stream:
 * `t<n>` sits just after the event with stream ordering `n`. Going backwards from it returns
 * events with ordering `<= n`, going forwards events with ordering `> n`. Clients must treat
 * tokens as opaque.
 */

/** The token just after stream ordering `n`. */
export function encodeStreamToken(n: number): string {
  return `t${n}`;
}

/**
 * The stream ordering of a token.
 *
 * @throws `400 M_INVALID_PARAM` for anything that is not a token this server made.
 */
export function decodeStreamToken(token: string): number {
  // Negative orderings are history paged in from other servers (federation backfill).
  const m = /^t(-?\d{1,16})$/.exec(token);
  const n = m ? Number(m[1]) : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    throw invalidParam(`Invalid pagination token: ${JSON.stringify(token.slice(0, 64))}`);
  }
  return n;
}
