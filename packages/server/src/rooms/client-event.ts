import type { JsonObject, PDU } from '@parley/core';

/** An event in the client API's shape (Matrix "ClientEvent"). */
export interface ClientEvent {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  content: JsonObject;
  origin_server_ts: number;
  state_key?: string;
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
