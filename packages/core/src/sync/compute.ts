import type { SyncDataSource, SyncDeltaCursor } from './data-source.js';
import { pagedStream } from './paged-stream.js';
import type { ParsedSyncBody, SyncStickyParams } from './params.js';
import type { SyncResponseBody } from './types.js';

/** Where each stream of a session stands after a response. Immutable: a new object per response. */
export interface SyncStreamStates {
  /** `sent` is the position of the typing set last sent; absent until one was sent. */
  typing?: { room_id: string; sent?: number };
  room_members?: { room_id: string; base: SyncDeltaCursor };
  room_list?: { base: SyncDeltaCursor };
  /** `joined_since` tells a rejoin (which restarts the timeline) from a profile change. */
  room?: { room_id: string; base: number; joined_since: number };
  /** The position of the last to-device message sent; the cursor outlives unsubscribing. */
  to_device_sent: number;
}

/** What one response is computed from. */
export interface SyncComputeInput {
  source: SyncDataSource;
  userId: string;
  deviceId: string;
  params: SyncStickyParams;
  state: SyncStreamStates;
  request: Pick<ParsedSyncBody, 'pageSince' | 'withP'>;
}

/** A computed response, before it gets its `next` token. */
export interface SyncComputeResult {
  position: number;
  body: Omit<SyncResponseBody, 'next'>;
  state: SyncStreamStates;
  /** True when any stream has something to say: a long-poll answers at once. */
  news: boolean;
}

/**
 * Computes every subscribed stream's news since `state`, at the source's current position. Pure
 * over the data source: it changes nothing, so a long-poll can recompute as often as it is woken.
 * Every room stream asks for the user's membership first: a room the user is not joined to
 * yields nothing, whatever its id.
 */
export async function computeSync(input: SyncComputeInput): Promise<SyncComputeResult> {
  const { source, userId, params, state } = input;
  const position = await source.currentPosition();
  const body: Omit<SyncResponseBody, 'next'> = {};
  const next: SyncStreamStates = { to_device_sent: state.to_device_sent };
  await Promise.all([
    typing(input, body, next),
    toDevice(input, position, body, next),
    room(input, position, body, next),
    (async () => {
      const sub = params.room_members;
      if (sub === undefined) return;
      const prev = state.room_members?.room_id === sub.room_id ? state.room_members : undefined;
      const m = await source.membership(userId, sub.room_id);
      if (m?.membership !== 'join') {
        if (prev !== undefined) next.room_members = prev;
        return;
      }
      const out = await pagedStream({
        stream: 'room_members',
        ...sub.p,
        roomId: sub.room_id,
        base: prev?.base,
        pageSince: input.request.pageSince.room_members,
        withP: input.request.withP.has('room_members'),
        position,
        page: (q) => source.memberPage(sub.room_id, q),
        changes: (q) => source.memberChanges(sub.room_id, q),
      });
      next.room_members = { room_id: sub.room_id, base: out.base };
      if (out.items !== undefined) {
        body.room_members = { room_id: sub.room_id, events: out.items, ...(out.p ? { p: out.p } : {}) };
      }
    })(),
    (async () => {
      const sub = params.room_list;
      if (sub === undefined) return;
      const out = await pagedStream({
        stream: 'room_list',
        ...sub.p,
        base: state.room_list?.base,
        pageSince: input.request.pageSince.room_list,
        withP: input.request.withP.has('room_list'),
        position,
        page: (q) => source.roomListPage(userId, q),
        changes: (q) => source.roomListChanges(userId, q),
      });
      next.room_list = { base: out.base };
      if (out.items !== undefined) body.room_list = { rooms: out.items, ...(out.p ? { p: out.p } : {}) };
    })(),
  ]);
  return { position, body, state: next, news: Object.keys(body).length > 0 };
}

type Body = Omit<SyncResponseBody, 'next'>;

async function typing(input: SyncComputeInput, body: Body, next: SyncStreamStates): Promise<void> {
  const sub = input.params.typing;
  if (sub === undefined) return;
  const prev = input.state.typing?.room_id === sub.room_id ? input.state.typing : undefined;
  next.typing = prev ?? { room_id: sub.room_id };
  const m = await input.source.membership(input.userId, sub.room_id);
  if (m?.membership !== 'join') return;
  const t = await input.source.typing(sub.room_id);
  if (prev?.sent !== undefined && t.position <= prev.sent) return;
  body.typing = { events: [{ type: 'm.typing', room_id: sub.room_id, content: { user_ids: t.user_ids } }] };
  next.typing = { room_id: sub.room_id, sent: t.position };
}

async function toDevice(
  input: SyncComputeInput,
  position: number,
  body: Body,
  next: SyncStreamStates,
): Promise<void> {
  const sub = input.params.to_device;
  if (sub === undefined) return;
  const after = input.state.to_device_sent;
  const msgs = await input.source.toDevice(input.userId, input.deviceId, {
    after,
    upTo: position,
    limit: sub.limit,
  });
  const last = msgs[msgs.length - 1];
  // A full batch may have more behind it: resume after its last message, not at `position`.
  next.to_device_sent =
    last !== undefined && msgs.length >= sub.limit ? last.position : Math.max(after, position);
  if (msgs.length > 0) {
    body.to_device = { events: msgs.map((m) => ({ type: m.type, sender: m.sender, content: m.content })) };
  }
}

async function room(
  input: SyncComputeInput,
  position: number,
  body: Body,
  next: SyncStreamStates,
): Promise<void> {
  const sub = input.params.room;
  if (sub === undefined) return;
  const prev = input.state.room?.room_id === sub.room_id ? input.state.room : undefined;
  if (prev !== undefined) next.room = prev;
  const m = await input.source.membership(input.userId, sub.room_id);
  if (m === undefined) return;
  const limit = sub.timeline_limit;
  let span: { after?: number; upTo: number };
  if (m.membership === 'join') {
    const first = prev === undefined || m.since > prev.joined_since;
    if (!first && prev.base >= position) return;
    span = first ? { upTo: position } : { after: prev.base, upTo: position };
    next.room = { room_id: sub.room_id, base: position, joined_since: m.since };
  } else {
    // Not joined (left, banned, invited, knocking): what happened up to the end of the join this
    // stream followed, once, and never past it: an invite rejected or a ban after a leave must
    // not open the events of a time the user was out. A join and leave the stream never saw
    // (both between two responses) sends nothing.
    const ended = m.last_join;
    if (prev === undefined || ended === undefined || ended.since !== prev.joined_since) return;
    if (ended.until <= prev.base) return;
    span = { after: prev.base, upTo: ended.until };
    next.room = { ...prev, base: ended.until };
  }
  const tl = await input.source.timeline(sub.room_id, { ...span, limit });
  if (tl.events.length === 0 && span.after !== undefined) return;
  body.room = {
    room_id: sub.room_id,
    events: tl.events,
    limited: tl.limited,
    ...(tl.prev_batch === undefined ? {} : { prev_batch: tl.prev_batch }),
  };
}
