import { canonicalKey } from './params.js';
import { SYNC_STREAMS, type SyncMemberSort, type SyncRoomSort, type SyncStreamName } from './types.js';

/** The parameters a client sets per stream (what it sends; the server negotiates). */
export interface SyncStreamParams {
  typing: { room_id: string };
  to_device: { limit?: number };
  room_members: { room_id: string; p?: { limit?: number; sort?: SyncMemberSort } };
  room_list: { p?: { limit?: number; sort?: SyncRoomSort } };
  room: { room_id: string; timeline_limit?: number };
}

/** A client's sticky parameters: the subscribed streams and their parameters. */
export type SyncWantedParams = { [S in SyncStreamName]?: SyncStreamParams[S] };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Merges `patch` into `base` field by field (nested objects too), as the server merges sticky fields. */
export function mergeFields<T extends Obj>(base: T | undefined, patch: Obj): T {
  const out: Obj = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = isObj(v) && isObj(out[k]) ? mergeFields(out[k] as Obj, v) : v;
  }
  return out as T;
}

/** The fields of `wanted` that differ from `sent`, nested objects compared field by field. */
function diffFields(wanted: Obj, sent: Obj): Obj | undefined {
  let out: Obj | undefined;
  for (const [k, v] of Object.entries(wanted)) {
    if (v === undefined) continue;
    const old = sent[k];
    const d =
      isObj(v) && isObj(old) ? diffFields(v, old) : canonicalKey(v) === canonicalKey(old) ? undefined : v;
    if (d === undefined) continue;
    out ??= {};
    out[k] = d;
  }
  return out;
}

/**
 * The request body that moves the server from `sent` to `wanted`: only the streams and fields that
 * changed, `null` for a stream dropped, the whole object for a stream added.
 */
export function stickyDiff(wanted: SyncWantedParams, sent: SyncWantedParams): Obj {
  const body: Obj = {};
  for (const stream of SYNC_STREAMS) {
    const w = wanted[stream] as Obj | undefined;
    const s = sent[stream] as Obj | undefined;
    if (w === undefined) {
      if (s !== undefined) body[stream] = null;
    } else if (s === undefined) body[stream] = w;
    else {
      const d = diffFields(w, s);
      if (d !== undefined) body[stream] = d;
    }
  }
  return body;
}

/** Applies a body that was sent (and answered) to the parameters the server holds. */
export function applySent(sent: SyncWantedParams, body: Obj): SyncWantedParams {
  const out: Obj = { ...sent };
  for (const stream of SYNC_STREAMS) {
    if (!(stream in body)) continue;
    const v = body[stream];
    if (v === null) delete out[stream];
    else if (isObj(v)) {
      const { p, ...rest } = v;
      // p.since is per request, never sticky.
      const pSticky = isObj(p)
        ? Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'since'))
        : undefined;
      out[stream] = mergeFields(
        out[stream] as Obj | undefined,
        pSticky === undefined ? rest : { ...rest, p: pSticky },
      );
    }
  }
  return out as SyncWantedParams;
}
