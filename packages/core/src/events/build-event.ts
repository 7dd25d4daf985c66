import { sha256 } from '@noble/hashes/sha2.js';
import { selectAuthEvents } from './auth-events.js';
import { eventIdFromReferenceHash } from './hashing.js';
import { badJson, type JsonObject, type JsonValue, MAX_SAFE_JSON_INTEGER } from './json.js';
import { EVENT_LIMITS, type PDU, type UnsignedPDU, validatePdu } from './pdu.js';
import type { RoomState } from './room-state.js';
import { type SigningKey, signEventReturningBytes } from './signing.js';

/** What the event is: the fields a client or the server chooses. */
export interface EventProto {
  type: string;
  sender: string;
  room_id: string;
  content: JsonObject;
  /** Present for state events. */
  state_key?: string;
}

/** Where the event goes in the room, and who signs it. */
export interface BuildEventContext {
  /** The room state before the event, from which `auth_events` are selected. */
  state: RoomState;
  /** The forward extremities the event follows, with their depths (at most 20). */
  prevEvents: { eventId: string; depth: number }[];
  /** The origin server's clock, in milliseconds. */
  originServerTs: number;
  /** The signing server's name. */
  origin: string;
  key: SigningKey;
}

/**
 * Creates a signed room version 11 event: `depth` is one more than the deepest prev event (1 for
 * a room's first event, capped at 2^53-1), `auth_events` come from {@link selectAuthEvents}, then
 * the content hash and `origin`'s signature are added and the event id computed, from one
 * serialisation of the redacted event. The event is checked with {@link validatePdu}.
 *
 * It does not run the authorization rules: call {@link authorizeEvent} on the result.
 *
 * @throws {@link ParleyError} `M_BAD_JSON` for more than 20 prev events or a malformed field;
 * `M_TOO_LARGE` when the signed event exceeds 65,536 bytes.
 */
export function buildEvent(proto: EventProto, ctx: BuildEventContext): { event: PDU; eventId: string } {
  if (ctx.prevEvents.length > EVENT_LIMITS.maxPrevEvents) {
    throw badJson(`An event may follow at most ${EVENT_LIMITS.maxPrevEvents} prev_events`);
  }
  let depth = 0;
  for (const p of ctx.prevEvents) {
    if (!Number.isInteger(p.depth) || p.depth < 0) throw badJson(`Invalid depth ${p.depth} of ${p.eventId}`);
    if (p.depth > depth) depth = p.depth;
  }
  depth = Math.min(depth + 1, MAX_SAFE_JSON_INTEGER);
  const unsigned: UnsignedPDU = {
    auth_events: [],
    content: proto.content,
    depth,
    origin_server_ts: ctx.originServerTs,
    prev_events: ctx.prevEvents.map((p) => p.eventId),
    room_id: proto.room_id,
    sender: proto.sender,
    type: proto.type,
  };
  if (proto.state_key !== undefined) unsigned.state_key = proto.state_key;
  unsigned.auth_events = selectAuthEvents(unsigned, ctx.state);
  const { event, signedBytes } = signEventReturningBytes(unsigned, ctx.origin, ctx.key);
  validatePdu(event as unknown as JsonValue);
  return { event, eventId: eventIdFromReferenceHash(sha256(signedBytes)) };
}
