import { ParleyError } from '../errors.js';
import type { SyncLimits } from './limits.js';
import {
  SYNC_MEMBER_SORTS,
  SYNC_ROOM_SORTS,
  type SyncMemberSort,
  type SyncPageParams,
  type SyncRoomSort,
  type SyncStreamName,
} from './types.js';

/** The sticky parameters of a session, as negotiated. A stream absent here is not subscribed. */
export interface SyncStickyParams {
  typing?: { room_id: string };
  to_device?: { limit: number };
  room_members?: { room_id: string; p: { limit: number; sort: SyncMemberSort } };
  room_list?: { p: { limit: number; sort: SyncRoomSort } };
  room?: { room_id: string; timeline_limit: number };
}

/** The paginated streams. */
export type SyncPagedStream = 'room_members' | 'room_list';

/** A request body after validation. */
export interface ParsedSyncBody {
  /** Per stream: `null` to unsubscribe, else the fields given. */
  patch: Partial<Record<SyncStreamName, Record<string, unknown> | null>>;
  /** `p.since` per paginated stream: this request's page, never sticky. */
  pageSince: Partial<Record<SyncPagedStream, string>>;
  /** Paginated streams whose `p` this request carried: the answer says what was negotiated. */
  withP: Set<SyncPagedStream>;
  /** A canonical form of the body: two requests with the same key asked the same thing. */
  key: string;
}

const invalid = (message: string): ParleyError => ParleyError.matrix('M_INVALID_PARAM', message, 400);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a request body (`undefined` is an empty body). Unknown streams and fields are ignored. */
export function parseSyncBody(body: unknown, limits: SyncLimits): ParsedSyncBody {
  if (body === undefined || body === null) body = {};
  if (!isObject(body)) throw ParleyError.matrix('M_BAD_JSON', 'The sync body must be a JSON object', 400);
  const parsed: ParsedSyncBody = { patch: {}, pageSince: {}, withP: new Set(), key: canonicalKey(body) };
  const fields: Record<SyncStreamName, readonly string[]> = {
    typing: ['room_id'],
    to_device: ['limit'],
    room_members: ['room_id', 'p'],
    room_list: ['p'],
    room: ['room_id', 'timeline_limit'],
  };
  for (const stream of Object.keys(fields) as SyncStreamName[]) {
    if (!(stream in body)) continue;
    const value = body[stream];
    if (value === null) {
      parsed.patch[stream] = null;
      continue;
    }
    if (!isObject(value)) throw invalid(`${stream} must be an object or null`);
    const patch: Record<string, unknown> = {};
    for (const field of fields[stream]) {
      if (value[field] === undefined) continue;
      patch[field] = checkField(stream, field, value[field], limits);
    }
    if (isObject(patch.p)) {
      const p = patch.p as SyncPageParams;
      parsed.withP.add(stream as SyncPagedStream);
      if (p.since !== undefined) parsed.pageSince[stream as SyncPagedStream] = p.since;
    }
    parsed.patch[stream] = patch;
  }
  return parsed;
}

function checkField(stream: string, field: string, v: unknown, limits: SyncLimits): unknown {
  const name = `${stream}.${field}`;
  switch (field) {
    case 'room_id':
      if (typeof v !== 'string' || v.length === 0 || v.length > limits.maxIdLength) {
        throw invalid(`${name} must be a room id of at most ${limits.maxIdLength} characters`);
      }
      return v;
    case 'limit':
    case 'timeline_limit':
      return positiveInt(name, v);
    default: {
      if (!isObject(v)) throw invalid(`${name} must be an object`);
      const p: SyncPageParams = {};
      if (v.limit !== undefined) p.limit = positiveInt(`${name}.limit`, v.limit);
      for (const key of ['sort', 'since'] as const) {
        const s = v[key];
        if (s === undefined) continue;
        if (typeof s !== 'string' || s.length === 0 || s.length > limits.maxTokenLength) {
          throw invalid(
            `${name}.${key} must be a non-empty string of at most ${limits.maxTokenLength} characters`,
          );
        }
        p[key] = s;
      }
      return p;
    }
  }
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
    throw invalid(`${name} must be a positive integer`);
  return v;
}

/**
 * Applies a request's patch to the sticky parameters: a stream omitted keeps its parameters, `null`
 * unsubscribes it, fields given replace the old ones (field by field, `p` too). Limits are capped
 * and unknown sorts replaced by the default: this is the negotiation.
 */
export function mergeSticky(
  base: SyncStickyParams,
  parsed: ParsedSyncBody,
  limits: SyncLimits,
): SyncStickyParams {
  const out: SyncStickyParams = { ...base };
  const patch = parsed.patch;
  const roomIdOf = (stream: SyncStreamName, old: { room_id: string } | undefined): string => {
    const id = (patch[stream]?.room_id as string | undefined) ?? old?.room_id;
    if (id === undefined) throw invalid(`${stream}.room_id is required to subscribe`);
    return id;
  };
  const pOf = <S extends string>(
    stream: SyncPagedStream,
    sorts: readonly S[],
    old: { limit: number; sort: S } | undefined,
  ): { limit: number; sort: S } => {
    const p = (patch[stream]?.p ?? {}) as SyncPageParams;
    const limit = Math.min(p.limit ?? old?.limit ?? limits.defaultPageLimit, limits.maxPageLimit);
    const sort = p.sort === undefined ? (old?.sort ?? (sorts[0] as S)) : pick(sorts, p.sort);
    return { limit, sort };
  };
  for (const stream of Object.keys(patch) as SyncStreamName[]) {
    const given = patch[stream];
    if (given === null) {
      delete out[stream];
      continue;
    }
    if (given === undefined) continue;
    switch (stream) {
      case 'typing':
        out.typing = { room_id: roomIdOf('typing', base.typing) };
        break;
      case 'to_device': {
        const limit = (given.limit as number | undefined) ?? base.to_device?.limit ?? limits.maxToDeviceLimit;
        out.to_device = { limit: Math.min(limit, limits.maxToDeviceLimit) };
        break;
      }
      case 'room_members':
        out.room_members = {
          room_id: roomIdOf('room_members', base.room_members),
          p: pOf('room_members', SYNC_MEMBER_SORTS, base.room_members?.p),
        };
        break;
      case 'room_list':
        out.room_list = { p: pOf('room_list', SYNC_ROOM_SORTS, base.room_list?.p) };
        break;
      case 'room': {
        const tl = (given.timeline_limit as number | undefined) ?? base.room?.timeline_limit;
        out.room = {
          room_id: roomIdOf('room', base.room),
          timeline_limit: Math.min(tl ?? limits.defaultTimelineLimit, limits.maxTimelineLimit),
        };
        break;
      }
    }
  }
  return out;
}

function pick<S extends string>(sorts: readonly S[], wanted: string): S {
  return (sorts as readonly string[]).includes(wanted) ? (wanted as S) : (sorts[0] as S);
}

/** JSON with object keys sorted, so that key order does not make two equal bodies differ. */
export function canonicalKey(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalKey).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalKey(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
