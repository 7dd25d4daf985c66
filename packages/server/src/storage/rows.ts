// Row shapes and their mapping to records, shared by the SQLite and PostgreSQL backends: both
// store an event as its canonical JSON text beside its stream ordering, and a to-device message's
// content as JSON text, so reading a row back is the same on either.
import type { PDU } from '@parley/core';
import type { StoredEvent } from './storage.js';
import type { ToDeviceRecord } from './sync-storage.js';

/** An `events` row as the read queries select it. */
export interface EventRow {
  stream_ordering: number;
  event_id: string;
  json: string;
}

export const rowToEvent = (r: EventRow): StoredEvent => ({
  streamOrdering: r.stream_ordering,
  eventId: r.event_id,
  event: JSON.parse(r.json) as PDU,
});

/** A `to_device_messages` row. */
export interface ToDeviceRow {
  user_id: string;
  device_id: string;
  position: number;
  type: string;
  sender: string;
  content: string;
}

export const rowToToDevice = (r: ToDeviceRow): ToDeviceRecord => ({
  userId: r.user_id,
  deviceId: r.device_id,
  position: r.position,
  type: r.type,
  sender: r.sender,
  content: JSON.parse(r.content) as Record<string, unknown>,
});

/** The `events` columns every insert fills (after `stream_ordering`, where it is given). */
export const EVENT_COLUMNS = 'event_id, room_id, type, state_key, sender, depth, origin_server_ts, json';

/** One event's values for {@link EVENT_COLUMNS}, in that order. */
export function eventColumnValues(
  eventId: string,
  roomId: string,
  event: PDU,
): [string, string, string, string | null, string, number, number, string] {
  const stateKey = typeof event.state_key === 'string' ? event.state_key : null;
  return [
    eventId,
    roomId,
    event.type,
    stateKey,
    event.sender,
    event.depth,
    event.origin_server_ts,
    JSON.stringify(event),
  ];
}
