import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import type { PDU } from './pdu.js';

/** Top-level keys that survive redaction in room version 11. */
export const REDACTION_KEPT_KEYS: ReadonlySet<string> = new Set([
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'auth_events',
  'origin_server_ts',
]);

// `content` keys kept per event type (v11); m.room.create keeps all of its content.
const KEPT_CONTENT: Readonly<Record<string, readonly string[]>> = {
  'm.room.member': ['membership', 'join_authorised_via_users_server'],
  'm.room.join_rules': ['join_rule', 'allow'],
  'm.room.power_levels': [
    'ban',
    'events',
    'events_default',
    'invite',
    'kick',
    'redact',
    'state_default',
    'users',
    'users_default',
  ],
  'm.room.history_visibility': ['history_visibility'],
  'm.room.redaction': ['redacts'],
};

/**
 * The room version 11 redaction algorithm: keeps only {@link REDACTION_KEPT_KEYS} at the top
 * level (so `unsigned`, `origin`, `membership` and `prev_state` go) and, in `content`, only the
 * keys the event's type protects. Returns a new object; the input is not changed.
 *
 * Member events keep `third_party_invite.signed`; like Synapse, a `third_party_invite` object
 * without `signed` is kept as `{}` so that every implementation hashes the same bytes.
 */
export function redactEvent<T extends JsonObject | PDU>(event: T): T {
  const src = event as JsonObject;
  const out: JsonObject = {};
  for (const key of Object.keys(src)) {
    if (!REDACTION_KEPT_KEYS.has(key)) continue;
    const value = src[key];
    if (value === undefined) continue;
    out[key] = key === 'content' ? redactContent(src.type, value) : value;
  }
  return out as T;
}

function redactContent(type: JsonValue | undefined, content: JsonValue): JsonObject {
  if (!isJsonObject(content)) return {};
  if (type === 'm.room.create') return content;
  const kept: JsonObject = {};
  const keys = typeof type === 'string' && Object.hasOwn(KEPT_CONTENT, type) ? KEPT_CONTENT[type] : undefined;
  if (keys) {
    for (const key of keys) {
      const v = content[key];
      if (v !== undefined && Object.hasOwn(content, key)) kept[key] = v;
    }
  }
  if (type === 'm.room.member' && isJsonObject(content.third_party_invite)) {
    const signed = content.third_party_invite.signed;
    kept.third_party_invite = signed === undefined ? {} : { signed };
  }
  return kept;
}
