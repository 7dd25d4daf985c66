import type { FetchRequest, FetchResponse } from '../../fetch/index.js';
import type { SimRoomStore, StatePdu } from './room-store.js';

const NOT_FOUND: FetchResponse = { ok: false, status: 404 };

/** The ancestors of `from` (exclusive) through `edge`, breadth-first, nearest first. */
function walk<P extends StatePdu>(
  store: SimRoomStore<P>,
  from: readonly string[],
  edge: (p: P) => readonly string[],
  stop: ReadonlySet<string> = new Set(),
): string[] {
  const seen = new Set<string>(from);
  const out: string[] = [];
  let layer = [...from];
  while (layer.length > 0) {
    const next: string[] = [];
    for (const id of layer) {
      const p = store.events.get(id);
      if (p === undefined) continue;
      for (const q of edge(p)) {
        if (seen.has(q) || stop.has(q)) continue;
        seen.add(q);
        if (store.events.has(q)) {
          out.push(q);
          next.push(q);
        }
      }
    }
    layer = next;
  }
  return out;
}

/** Every event reachable from `ids` through `auth_events` (the ids themselves only if reached). */
function authChain<P extends StatePdu>(store: SimRoomStore<P>, ids: readonly string[]): string[] {
  const out = new Set<string>();
  const stack = ids.flatMap((id) => store.events.get(id)?.auth_events ?? []);
  while (stack.length > 0) {
    const id = stack.pop() as string;
    const p = store.events.get(id);
    if (out.has(id) || p === undefined) continue;
    out.add(id);
    stack.push(...p.auth_events);
  }
  return [...out];
}

function byDepthDesc<P extends StatePdu>(store: SimRoomStore<P>, ids: string[]): string[] {
  const d = (id: string): number => store.events.get(id)?.depth ?? 0;
  return ids.sort((a, b) => d(b) - d(a) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The state before `eventId`: per (type, state_key), the deepest state event among its ancestors. */
function stateBefore<P extends StatePdu>(store: SimRoomStore<P>, eventId: string): string[] {
  const best = new Map<string, string>();
  for (const id of walk(store, [eventId], (p) => p.prev_events)) {
    const p = store.events.get(id) as P;
    if (p.state_key === undefined) continue;
    const key = `${p.type}\u0000${p.state_key}`;
    const cur = best.get(key);
    const curDepth = cur === undefined ? -1 : (store.events.get(cur)?.depth ?? -1);
    if (p.depth > curDepth || (p.depth === curDepth && cur !== undefined && id < cur)) best.set(key, id);
  }
  return [...best.values()].sort();
}

/**
 * Answers a federation read from a {@link SimRoomStore}, the way an honest server would: `/event`,
 * `get_missing_events` (breadth-first back from `latest_events`, stopping at `earliest_events`),
 * `backfill` (the `v` events and their ancestors, newest first), `state_ids`, `event_auth` and the
 * head part of `make_join`.
 */
export function serveFederation<P extends StatePdu>(
  store: SimRoomStore<P>,
  origin: string,
  req: FetchRequest,
): FetchResponse {
  switch (req.kind) {
    case 'event': {
      const pdu = store.events.get(req.params.eventId);
      if (pdu === undefined || pdu.room_id !== req.params.roomId) return NOT_FOUND;
      return { ok: true, body: { origin, origin_server_ts: 0, pdus: [pdu] } };
    }
    case 'get_missing_events': {
      const { latest_events, earliest_events, limit } = req.params;
      const stop = new Set(earliest_events);
      const ids = walk(store, latest_events, (p) => p.prev_events, stop).slice(0, Math.min(limit, 20));
      return { ok: true, body: { events: ids.map((id) => store.events.get(id)) } };
    }
    case 'backfill': {
      const { v, limit } = req.params;
      const have = v.filter((id) => store.events.has(id));
      if (have.length === 0) return NOT_FOUND;
      const ids = [...have, ...walk(store, have, (p) => p.prev_events)].slice(0, Math.min(limit, 100));
      return { ok: true, body: { origin, pdus: byDepthDesc(store, ids).map((id) => store.events.get(id)) } };
    }
    case 'state_ids': {
      if (!store.events.has(req.params.eventId)) return NOT_FOUND;
      const state = stateBefore(store, req.params.eventId);
      const chain = authChain(store, state);
      return { ok: true, body: { pdu_ids: state, auth_chain_ids: chain.sort() } };
    }
    case 'event_auth': {
      if (!store.events.has(req.params.eventId)) return NOT_FOUND;
      const chain = authChain(store, [req.params.eventId]);
      return { ok: true, body: { auth_chain: chain.map((id) => store.events.get(id)) } };
    }
    case 'make_join':
      return { ok: true, body: { event: { prev_events: [...store.forwardExtremities(req.params.roomId)] } } };
  }
}
