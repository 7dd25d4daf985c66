/**
 * What {@link Storage.appendEvent} throws when another writer (another server instance on the
 * same PostgreSQL) got there first. The room service answers each by retrying or by returning the
 * earlier result; neither ever reaches a client.
 */
import { isParleyError, ParleyError } from '@parley/core';
import type { Storage } from './storage.js';

/**
 * A `prev_events` entry is no longer a forward extremity: another event was appended on top of
 * it since the new event was built. Storing it would fork the room's linear history, so nothing
 * is stored; rebuild the event on the current extremities and append again.
 */
export const PREV_EVENTS_STALE = 'prev_events_stale';

/**
 * The `(device, txnId)` was committed by another writer meanwhile; nothing is stored. Answer
 * with the event id {@link Storage.getTxnEventId} now returns.
 */
export const TXN_EXISTS = 'txn_exists';

/** The error for {@link PREV_EVENTS_STALE} or {@link TXN_EXISTS}. */
export function appendConflict(
  code: typeof PREV_EVENTS_STALE | typeof TXN_EXISTS,
  message: string,
): ParleyError {
  return new ParleyError(code, message);
}

/** True when `err` is the append conflict `code`. */
export function isAppendConflict(err: unknown, code: typeof PREV_EVENTS_STALE | typeof TXN_EXISTS): boolean {
  return isParleyError(err) && err.code === code;
}
