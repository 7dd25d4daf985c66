import { authorizeEvent, authStateFromAuthEvents, type PDU, type StateEntry } from '@parley/core';
import type { Storage } from '../storage/storage.js';

/** The verdict on an event from another server. */
export type AuthVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks an event against the room version 11 authorization rules with the state made of its own
 * auth events (the first of the spec's three checks), read from storage. Rejected auth events are
 * left out (rule 2.3), so an event citing one fails for lack of it.
 *
 * `extra` supplies auth events not stored yet (a join's state, checked before it is stored).
 */
export async function authorizeByAuthEvents(
  storage: Storage,
  pdu: PDU,
  extra?: ReadonlyMap<string, PDU>,
): Promise<AuthVerdict> {
  const entries: StateEntry[] = [];
  const wanted: string[] = [];
  for (const id of pdu.auth_events) {
    const e = extra?.get(id);
    if (e !== undefined) entries.push({ eventId: id, event: e });
    else wanted.push(id);
  }
  if (wanted.length > 0) {
    for (const s of await storage.getEvents(wanted)) entries.push({ eventId: s.eventId, event: s.event });
  }
  if (entries.length < new Set(pdu.auth_events).size) {
    const have = new Set(entries.map((e) => e.eventId));
    const missing = pdu.auth_events.filter((id) => !have.has(id));
    return { ok: false, reason: `auth events not stored or rejected: ${missing.join(', ')}` };
  }
  const state = authStateFromAuthEvents(pdu, entries);
  if (!state.ok) return { ok: false, reason: `auth rule ${state.rule}: ${state.reason}` };
  const r = authorizeEvent(pdu, state.state);
  return r.ok ? { ok: true } : { ok: false, reason: `auth rule ${r.rule}: ${r.reason}` };
}
