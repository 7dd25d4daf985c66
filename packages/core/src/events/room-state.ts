import { isJsonObject, type JsonObject, type JsonValue } from './json.js';
import type { PDU } from './pdu.js';

/** One entry of a room's state: a state event and its id. */
export interface StateEntry {
  eventId: string;
  event: PDU;
}

/** A room state: `stateKey(type, state_key)` → the state event holding that slot. */
export type RoomState = ReadonlyMap<string, StateEntry>;

/**
 * The map key of a state slot. It is the JSON array `[type, state_key]`, so it is unambiguous
 * for any strings and can be split again with `JSON.parse`.
 */
export function stateKey(type: string, stateKeyValue: string): string {
  return JSON.stringify([type, stateKeyValue]);
}

/** A {@link RoomState} built from state events and their ids (later entries win). */
export function roomStateFrom(entries: Iterable<StateEntry>): Map<string, StateEntry> {
  const state = new Map<string, StateEntry>();
  for (const entry of entries) {
    const sk = entry.event.state_key;
    if (typeof sk === 'string') state.set(stateKey(entry.event.type, sk), entry);
  }
  return state;
}

/** The state event of a slot, if any. */
export function getStateEvent(state: RoomState, type: string, stateKeyValue = ''): PDU | undefined {
  return state.get(stateKey(type, stateKeyValue))?.event;
}

/** A user's `membership` in `state` (`join`, `invite`, `leave`, `ban`, `knock`), or undefined. */
export function membershipOf(userId: string, state: RoomState): string | undefined {
  const m = getStateEvent(state, 'm.room.member', userId)?.content.membership;
  return typeof m === 'string' ? m : undefined;
}

/** The `join_rule` of the room, or undefined when there is no `m.room.join_rules` event. */
export function joinRuleOf(state: RoomState): string | undefined {
  const rule = getStateEvent(state, 'm.room.join_rules')?.content.join_rule;
  return typeof rule === 'string' ? rule : undefined;
}

function powerLevelsContent(state: RoomState): JsonObject | undefined {
  return getStateEvent(state, 'm.room.power_levels')?.content;
}

function intOr(value: JsonValue | undefined, fallback: number): number {
  // Room versions 10+ only admit integers in power levels, so anything else is "unspecified".
  return typeof value === 'number' && Number.isInteger(value) ? value : fallback;
}

/**
 * A user's power level: `users[userId]`, else `users_default` (0). Without an
 * `m.room.power_levels` event, the room creator (the `sender` of `m.room.create`, room v11) has
 * 100 and everyone else 0.
 */
export function powerLevelOfUser(userId: string, state: RoomState): number {
  const pl = powerLevelsContent(state);
  if (pl === undefined) {
    const create = getStateEvent(state, 'm.room.create');
    return create !== undefined && create.sender === userId ? 100 : 0;
  }
  const users = pl.users;
  if (isJsonObject(users) && Object.hasOwn(users, userId))
    return intOr(users[userId], intOr(pl.users_default, 0));
  return intOr(pl.users_default, 0);
}

/**
 * The power level needed to send an event of `eventType`: `events[eventType]`, else
 * `state_default` (50) for state events or `events_default` (0) otherwise. Without an
 * `m.room.power_levels` event every level is 0.
 */
export function requiredPowerLevel(eventType: string, isState: boolean, state: RoomState): number {
  const pl = powerLevelsContent(state);
  if (pl === undefined) return 0;
  const events = pl.events;
  if (isJsonObject(events) && Object.hasOwn(events, eventType)) {
    const v = events[eventType];
    if (typeof v === 'number' && Number.isInteger(v)) return v;
  }
  return isState ? intOr(pl.state_default, 50) : intOr(pl.events_default, 0);
}

/** The named levels of the auth rules, with the spec's defaults when unspecified. */
export type NamedPowerLevel = 'invite' | 'kick' | 'ban' | 'redact';

const NAMED_DEFAULTS: Readonly<Record<NamedPowerLevel, number>> = {
  invite: 0,
  kick: 50,
  ban: 50,
  redact: 50,
};

/**
 * The invite, kick, ban or redact level. Defaults: `invite` 0 (as the `m.room.power_levels`
 * schema and Synapse have it), the others 50.
 */
export function namedPowerLevel(name: NamedPowerLevel, state: RoomState): number {
  const pl = powerLevelsContent(state);
  return intOr(pl?.[name], NAMED_DEFAULTS[name]);
}
