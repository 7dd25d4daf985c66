import { ParleyError } from '../errors.js';
import { canonicalJson, utf8Length } from './canonical-json.js';
import { badJson, isJsonObject, type JsonObject, type JsonValue, MAX_SAFE_JSON_INTEGER } from './json.js';

/** The room versions Parley implements. */
export type RoomVersion = '11';

/** The room version Parley creates rooms with. */
export const DEFAULT_ROOM_VERSION: RoomVersion = '11';

/**
 * A PDU before {@link signEvent} adds its `hashes` and `signatures`: {@link PDU} without them.
 *
 * (Spelled out rather than `Omit<PDU, 'hashes' | 'signatures'>`: `Omit` over a type with an
 * index signature keeps only the index signature and would lose every named field.)
 */
export interface UnsignedPDU {
  /** Ids of the events that authorise this one (at most {@link EVENT_LIMITS}.maxAuthEvents). */
  auth_events: string[];
  content: JsonObject;
  /** One more than the greatest depth of `prev_events`. */
  depth: number;
  origin_server_ts: number;
  /** The DAG parents of this event (at most {@link EVENT_LIMITS}.maxPrevEvents). */
  prev_events: string[];
  room_id: string;
  sender: string;
  /** Present on state events only. */
  state_key?: string;
  type: string;
  /** Data added in transit and covered by neither hash nor signatures. */
  unsigned?: JsonObject;
  [extra: string]: JsonValue | undefined;
}

/**
 * A persistent data unit in room version 11 format. There is no `event_id` field: the id is
 * the reference hash of the event ({@link computeEventId}).
 */
export interface PDU extends UnsignedPDU {
  /** `sha256`: the unpadded base64 content hash ({@link computeContentHash}). */
  hashes: { sha256: string };
  /** `signatures[serverName][keyId]`: unpadded base64 ed25519 signatures of the redacted event. */
  signatures: Record<string, Record<string, string>>;
}

/**
 * Limits on a PDU (Matrix client-server "Size limits" and server-server PDU rules). Over
 * `maxBytes` of canonical JSON, with everything including signatures and `unsigned`, is
 * `M_TOO_LARGE`; too many `prev_events` or `auth_events` is `M_BAD_JSON`.
 */
export const EVENT_LIMITS: { maxBytes: 65536; maxPrevEvents: 20; maxAuthEvents: 10 } = Object.freeze({
  maxBytes: 65536,
  maxPrevEvents: 20,
  maxAuthEvents: 10,
});

/** Longest `type`, `state_key`, `sender` and `room_id`, in UTF-8 bytes (client-server "Size limits"). */
export const MAX_ID_BYTES = 255;

// Room v4+ event ids are "$" + the unpadded URL-safe base64 of a 32-byte sha256.
const EVENT_ID = /^\$[A-Za-z0-9_-]{43}$/;

/** True when `id` has the shape of a room version 4+ event id (`$` + 43 URL-safe base64 chars). */
export function isEventId(id: unknown): id is string {
  return typeof id === 'string' && EVENT_ID.test(id);
}

/** True for `@localpart:domain` with a non-empty domain and no more than 255 bytes. */
export function isUserId(id: unknown): id is string {
  return isSigilId(id, '@');
}

/** True for `!opaque:domain` with a non-empty domain and no more than 255 bytes. */
export function isRoomId(id: unknown): id is string {
  return isSigilId(id, '!');
}

function isSigilId(id: unknown, sigil: string): id is string {
  if (typeof id !== 'string' || !id.startsWith(sigil)) return false;
  const colon = id.indexOf(':');
  // Historical user ids may have odd localparts (even empty ones), so only the shape is checked.
  return colon > 0 && colon < id.length - 1 && !id.includes('\u0000') && utf8Length(id) <= MAX_ID_BYTES;
}

/** The server name of a user or room id: everything after the first `:`. */
export function domainOf(id: string): string {
  const colon = id.indexOf(':');
  return colon < 0 ? '' : id.slice(colon + 1);
}

/**
 * Checks that untrusted JSON is a room version 11 PDU, and returns it typed (the same object).
 *
 * @throws {@link ParleyError} `M_TOO_LARGE` when its canonical JSON exceeds
 * {@link EVENT_LIMITS}.maxBytes; `M_BAD_JSON` when it is not canonical-JSON-encodable, a
 * required field is missing or has the wrong type, an id is malformed, or `prev_events` /
 * `auth_events` hold too many entries.
 */
export function validatePdu(value: JsonValue): PDU {
  if (!isJsonObject(value)) throw badJson('An event must be a JSON object');
  checkShape(value);
  const size = utf8Length(canonicalJson(value));
  if (size > EVENT_LIMITS.maxBytes) {
    throw ParleyError.matrix(
      'M_TOO_LARGE',
      `Event is ${size} bytes; the limit is ${EVENT_LIMITS.maxBytes}`,
      413,
    );
  }
  return value as PDU;
}

function checkShape(ev: JsonObject): void {
  const type = requireString(ev, 'type');
  if (type.length === 0) throw badJson('Event field "type" must not be empty');
  requireIdLength(type, 'type');
  if (!isRoomId(ev.room_id)) throw badJson('Event field "room_id" must be a room id (!opaque:domain)');
  if (!isUserId(ev.sender)) throw badJson('Event field "sender" must be a user id (@localpart:domain)');
  if (ev.state_key !== undefined) requireIdLength(requireString(ev, 'state_key'), 'state_key');
  if (!isJsonObject(ev.content)) throw badJson('Event field "content" must be an object');
  requireInteger(ev, 'depth', 0);
  requireInteger(ev, 'origin_server_ts', 0);
  requireIdList(ev, 'prev_events', EVENT_LIMITS.maxPrevEvents);
  requireIdList(ev, 'auth_events', EVENT_LIMITS.maxAuthEvents);
  const hashes = ev.hashes;
  if (!isJsonObject(hashes) || typeof hashes.sha256 !== 'string') {
    throw badJson('Event field "hashes" must be an object with a string "sha256"');
  }
  const sigs = ev.signatures;
  if (!isJsonObject(sigs)) throw badJson('Event field "signatures" must be an object');
  for (const [server, byKey] of Object.entries(sigs)) {
    if (!isJsonObject(byKey) || !Object.values(byKey).every((s) => typeof s === 'string')) {
      throw badJson(`Event signatures of ${JSON.stringify(server)} must map key ids to strings`);
    }
  }
  if (ev.unsigned !== undefined && !isJsonObject(ev.unsigned)) {
    throw badJson('Event field "unsigned" must be an object');
  }
}

function requireString(ev: JsonObject, field: string): string {
  const v = ev[field];
  if (typeof v !== 'string') throw badJson(`Event field "${field}" must be a string`);
  return v;
}

function requireIdLength(v: string, field: string): void {
  if (utf8Length(v) > MAX_ID_BYTES) throw badJson(`Event field "${field}" exceeds ${MAX_ID_BYTES} bytes`);
}

function requireInteger(ev: JsonObject, field: string, min: number): void {
  const v = ev[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_SAFE_JSON_INTEGER) {
    throw badJson(`Event field "${field}" must be an integer in [${min}, 2^53-1]`);
  }
}

function requireIdList(ev: JsonObject, field: string, max: number): void {
  const v = ev[field];
  if (!Array.isArray(v)) throw badJson(`Event field "${field}" must be an array of event ids`);
  if (v.length > max) throw badJson(`Event field "${field}" has ${v.length} entries; at most ${max} allowed`);
  for (const id of v) {
    if (!isEventId(id))
      throw badJson(`Event field "${field}" holds a malformed event id: ${JSON.stringify(id)}`);
  }
}
