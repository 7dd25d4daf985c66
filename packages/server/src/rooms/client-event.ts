import type { JsonObject, PDU } from '@parley/core';
import type { Storage } from '../storage/storage.js';

/** The `unsigned` part of a client event: data about the event that is not part of it. */
export interface ClientEventUnsigned {
  /** The txn id the requesting device sent the event with; absent for everyone else. */
  transaction_id?: string;
}

/** An event in the client API's shape (Matrix "ClientEvent"). */
export interface ClientEvent {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  content: JsonObject;
  origin_server_ts: number;
  state_key?: string;
  unsigned?: ClientEventUnsigned;
}

/** The client-API form of a stored PDU: the federation-only fields are left out. */
export function toClientEvent(eventId: string, event: PDU): ClientEvent {
  const out: ClientEvent = {
    event_id: eventId,
    room_id: event.room_id,
    sender: event.sender,
    type: event.type,
    content: event.content,
    origin_server_ts: event.origin_server_ts,
  };
  if (typeof event.state_key === 'string') out.state_key = event.state_key;
  return out;
}

/** The device a client API read is for. */
export interface EventReader {
  userId: string;
  deviceId: string;
}

/** What {@link withTransactionIds} reads of an event (a {@link ClientEvent} or a sync event). */
type EventLike = { event_id?: unknown; sender?: unknown; unsigned?: unknown };

/** The event's id when `userId` sent it. */
function ownEventId(e: EventLike, userId: string): string | undefined {
  return e.sender === userId && typeof e.event_id === 'string' ? e.event_id : undefined;
}

/**
 * Adds `unsigned.transaction_id` to the events that `reader`'s device sent with a txn id, as
 * Matrix does for the sending device only: a client matches its local echo by it, even after a
 * reload or when the answer to its send was lost. One storage read for the whole batch, none
 * when no event is the reader's. Changed events are new objects; `events` is not modified.
 */
export async function withTransactionIds<E extends object>(
  storage: Pick<Storage, 'getTxnIdsOfEvents'>,
  reader: EventReader,
  events: readonly E[],
): Promise<E[]> {
  const ids: string[] = [];
  for (const e of events) {
    const id = ownEventId(e as EventLike, reader.userId);
    if (id !== undefined) ids.push(id);
  }
  if (ids.length === 0) return [...events];
  const txnIds = await storage.getTxnIdsOfEvents(reader.userId, reader.deviceId, ids);
  if (txnIds.size === 0) return [...events];
  return events.map((e) => {
    const id = ownEventId(e as EventLike, reader.userId);
    const txnId = id === undefined ? undefined : txnIds.get(id);
    if (txnId === undefined) return e;
    const old = (e as EventLike).unsigned;
    const unsigned = typeof old === 'object' && old !== null ? old : {};
    return { ...e, unsigned: { ...unsigned, transaction_id: txnId } };
  });
}
