/**
 * Walks of a room's stored DAG that the federation read endpoints answer from. Each reads storage
 * in batches and is bounded.
 */
import type { PDU } from '@parley/core';
import type { Storage, StoredEvent } from '../storage/storage.js';

/** Largest auth chain an answer holds (a real room's chain is far smaller). */
export const MAX_AUTH_CHAIN = 10_000;

/** Every event reachable from `from` through `auth_events` (the `from` events themselves excluded). */
export async function authChain(
  storage: Storage,
  roomId: string,
  from: readonly PDU[],
  max = MAX_AUTH_CHAIN,
): Promise<StoredEvent[]> {
  const seen = new Set<string>();
  const out: StoredEvent[] = [];
  let layer = [...new Set(from.flatMap((p) => p.auth_events))];
  while (layer.length > 0 && out.length < max) {
    const next: string[] = [];
    const want = layer.filter((id) => !seen.has(id));
    for (const id of want) seen.add(id);
    for (const e of await storage.getEvents(want)) {
      if (e.event.room_id !== roomId || out.length >= max) continue;
      out.push(e);
      for (const a of e.event.auth_events) if (!seen.has(a)) next.push(a);
    }
    layer = next;
  }
  return out;
}

/**
 * `/backfill`: the `v` events (those stored in `roomId`) and their ancestors through
 * `prev_events`, breadth-first by depth (the deepest not yet taken next), newest first, at most
 * `limit`.
 */
export async function backfillWalk(
  storage: Storage,
  roomId: string,
  v: readonly string[],
  limit: number,
): Promise<StoredEvent[]> {
  const seen = new Set<string>(v);
  const frontier: StoredEvent[] = (await storage.getEvents(v)).filter((e) => e.event.room_id === roomId);
  const out: StoredEvent[] = [];
  const deeper = (a: StoredEvent, b: StoredEvent): number =>
    b.event.depth - a.event.depth || (a.eventId < b.eventId ? 1 : a.eventId > b.eventId ? -1 : 0);
  while (frontier.length > 0 && out.length < limit) {
    frontier.sort(deeper);
    // Take every event at the deepest depth at once: one storage read per layer.
    const depth = (frontier[0] as StoredEvent).event.depth;
    const layer: StoredEvent[] = [];
    while (frontier.length > 0 && (frontier[0] as StoredEvent).event.depth === depth && out.length < limit) {
      const e = frontier.shift() as StoredEvent;
      out.push(e);
      layer.push(e);
    }
    const prevs = layer.flatMap((e) => e.event.prev_events).filter((id) => !seen.has(id));
    for (const id of prevs) seen.add(id);
    if (prevs.length > 0) {
      for (const e of await storage.getEvents(prevs)) if (e.event.room_id === roomId) frontier.push(e);
    }
  }
  return out;
}

/**
 * `/get_missing_events`: the ancestors of `latest` (excluded) through `prev_events`, breadth-first,
 * nearest first, not walking past `earliest` or below `minDepth`, at most `limit`.
 */
export async function missingEventsWalk(
  storage: Storage,
  roomId: string,
  q: { earliest: readonly string[]; latest: readonly string[]; limit: number; minDepth: number },
): Promise<StoredEvent[]> {
  const stop = new Set(q.earliest);
  const seen = new Set<string>(q.latest);
  const out: StoredEvent[] = [];
  let layer = (await storage.getEvents(q.latest)).filter((e) => e.event.room_id === roomId);
  while (layer.length > 0 && out.length < q.limit) {
    const prevs: string[] = [];
    for (const e of layer) {
      for (const p of e.event.prev_events) {
        if (seen.has(p) || stop.has(p)) continue;
        seen.add(p);
        prevs.push(p);
      }
    }
    if (prevs.length === 0) break;
    const found = (await storage.getEvents(prevs)).filter(
      (e) => e.event.room_id === roomId && e.event.depth >= q.minDepth,
    );
    const byId = new Map(found.map((e) => [e.eventId, e]));
    layer = [];
    for (const id of prevs) {
      const e = byId.get(id);
      if (e === undefined || out.length >= q.limit) continue;
      out.push(e);
      layer.push(e);
    }
  }
  return out;
}
