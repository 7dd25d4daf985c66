import { type AuthResult, reject } from './auth-result.js';
import { isJsonObject } from './json.js';
import type { PDU, UnsignedPDU } from './pdu.js';
import { type RoomState, type StateEntry, stateKey } from './room-state.js';

/**
 * The `(type, state_key)` slots whose events an event should cite as `auth_events`
 * (server-server "Auth events selection"). Membership `knock` also cites the join rules, as
 * Synapse does, since rule 4.7.1 cannot be decided without them.
 */
export function authEventSlots(event: UnsignedPDU | PDU): [type: string, stateKey: string][] {
  if (event.type === 'm.room.create') return [];
  const slots: [string, string][] = [
    ['m.room.create', ''],
    ['m.room.power_levels', ''],
    ['m.room.member', event.sender],
  ];
  if (event.type === 'm.room.member' && typeof event.state_key === 'string') {
    const content = event.content;
    const membership = content.membership;
    slots.push(['m.room.member', event.state_key]);
    if (membership === 'join' || membership === 'invite' || membership === 'knock') {
      slots.push(['m.room.join_rules', '']);
    }
    const tpi = content.third_party_invite;
    if (membership === 'invite' && isJsonObject(tpi) && isJsonObject(tpi.signed)) {
      const token = tpi.signed.token;
      if (typeof token === 'string') slots.push(['m.room.third_party_invite', token]);
    }
    const authoriser = content.join_authorised_via_users_server;
    if (typeof authoriser === 'string') slots.push(['m.room.member', authoriser]);
  }
  return slots;
}

/**
 * The ids of the events in `state` that `event` should cite as `auth_events`: the create event,
 * the power levels, the sender's membership and, for member events, the target's membership,
 * the join rules (join, invite, knock), a matching third-party invite and the authorising
 * user's membership. Slots with no event in `state` are skipped; duplicates appear once.
 */
export function selectAuthEvents(event: UnsignedPDU | PDU, state: RoomState): string[] {
  const ids: string[] = [];
  for (const [type, key] of authEventSlots(event)) {
    const entry = state.get(stateKey(type, key));
    if (entry !== undefined && !ids.includes(entry.eventId)) ids.push(entry.eventId);
  }
  return ids;
}

/** The state built from an event's auth events, or the rule-2 rejection. */
export type AuthStateResult = { ok: true; state: RoomState } | Extract<AuthResult, { ok: false }>;

/**
 * Rule 2 of room version 11, and the state to authorise `event` against "based on its auth
 * events". `authEvents` must be exactly the events `event.auth_events` names (fetched by the
 * caller, which also drops events it rejected: rule 2.3). Rejects a missing or extra auth event,
 * two events for one slot (2.1), an event for a slot the selection algorithm does not name (2.2)
 * and a missing `m.room.create` (2.4).
 */
export function authStateFromAuthEvents(event: PDU, authEvents: readonly StateEntry[]): AuthStateResult {
  const state = new Map<string, StateEntry>();
  if (event.type === 'm.room.create') {
    if (event.auth_events.length > 0 || authEvents.length > 0) {
      return fail('2', 'm.room.create must have no auth_events');
    }
    return { ok: true, state };
  }
  const cited = new Set(event.auth_events);
  const allowed = new Set(authEventSlots(event).map(([t, k]) => stateKey(t, k)));
  for (const entry of authEvents) {
    if (!cited.has(entry.eventId)) return fail('2', `${entry.eventId} is not among the event's auth_events`);
    const sk = entry.event.state_key;
    if (typeof sk !== 'string') return fail('2.2', `auth event ${entry.eventId} is not a state event`);
    const key = stateKey(entry.event.type, sk);
    if (state.has(key))
      return fail('2.1', `two auth events for (${entry.event.type}, ${JSON.stringify(sk)})`);
    if (!allowed.has(key)) {
      return fail(
        '2.2',
        `auth event (${entry.event.type}, ${JSON.stringify(sk)}) is not one the event should cite`,
      );
    }
    state.set(key, entry);
  }
  for (const id of cited) {
    if (![...state.values()].some((e) => e.eventId === id))
      return fail('2', `auth event ${id} was not supplied`);
  }
  if (!state.has(stateKey('m.room.create', ''))) return fail('2.4', 'no m.room.create among the auth events');
  return { ok: true, state };
}

function fail(rule: string, reason: string): Extract<AuthResult, { ok: false }> {
  return reject(rule, reason) as Extract<AuthResult, { ok: false }>;
}
