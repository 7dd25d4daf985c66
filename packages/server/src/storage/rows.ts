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
