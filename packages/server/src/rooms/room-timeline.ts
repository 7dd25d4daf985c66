import type { Storage } from '../storage/storage.js';
import { type ClientEvent, type EventReader, toClientEvent, withTransactionIds } from './client-event.js';
import { decodeStreamToken, encodeStreamToken } from './stream-token.js';

/** A `/messages` request, after its query parameters are checked. */
export interface MessagesRequest {
  roomId: string;
  /** A token from an earlier answer; without it, the newest end (`b`) or the oldest (`f`). */
  from?: string;
  dir: 'b' | 'f';
  limit: number;
  /** The device reading: its own events sent with a txn id get `unsigned.transaction_id`. */
  reader?: EventReader;
}

/** A `/messages` answer. `end` is left out when there is nothing further in that direction. */
export interface MessagesResponse {
  chunk: ClientEvent[];
  start: string;
  end?: string;
}

// Larger than any stream ordering SQLite's AUTOINCREMENT will hand out in practice.
const NEWEST = Number.MAX_SAFE_INTEGER;

/**
 * One page of a room's local timeline. The caller checks that the user may read the room.
 *
 * @throws `400 M_INVALID_PARAM` for a token this server did not make.
 */
export async function readMessages(storage: Storage, req: MessagesRequest): Promise<MessagesResponse> {
  const from = req.from !== undefined ? decodeStreamToken(req.from) : req.dir === 'b' ? NEWEST : 0;
  const events = await storage.getRoomEvents({ roomId: req.roomId, dir: req.dir, from, limit: req.limit });
  const plain = events.map((e) => toClientEvent(e.eventId, e.event));
  const chunk = req.reader === undefined ? plain : await withTransactionIds(storage, req.reader, plain);
  const first = events[0];
  // Without `from`, `start` names the current position, so a later `dir=f` call resumes there.
  const start = req.from ?? encodeStreamToken(req.dir === 'b' ? (first?.streamOrdering ?? 0) : 0);
  const last = events.at(-1);
  const res: MessagesResponse = { chunk, start };
  if (last !== undefined) {
    const reachedOldest = req.dir === 'b' && events.length < req.limit;
    if (!reachedOldest) {
      res.end = encodeStreamToken(req.dir === 'b' ? last.streamOrdering - 1 : last.streamOrdering);
    }
  }
  return res;
}
