import type { Handler, RequestContext } from '../http/handler.js';
import { invalidParam, matrixError, notFound } from '../http/matrix-errors.js';
import type { Router } from '../http/router.js';
import { toClientEvent } from '../rooms/client-event.js';
import { ROOM_PRESETS, type RoomPreset } from '../rooms/initial-events.js';
import { ROOM_VERSION } from '../rooms/room-service.js';
import { readMessages } from '../rooms/room-timeline.js';
import type { ApiDeps } from './api-deps.js';
import {
  checkLength,
  checkMatrixId,
  optionalString,
  optionalStringArray,
  requireString,
} from './validate.js';

const V3 = '/_matrix/client/v3';
const MAX_ID_BYTES = 255;
const DEFAULT_MESSAGES_LIMIT = 10;

function roomIdParam(ctx: RequestContext, name = 'roomId'): string {
  const id = ctx.params[name]!;
  if (id.startsWith('#')) throw notFound('Room aliases are not supported yet; use a room id');
  return checkMatrixId(id, '!', 'room id');
}

function typeParam(ctx: RequestContext): string {
  return checkLength(ctx.params.eventType!, 'event type', MAX_ID_BYTES);
}

function parseLimit(raw: string | null, max: number): number {
  if (raw === null) return Math.min(DEFAULT_MESSAGES_LIMIT, max);
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) throw invalidParam('"limit" must be a positive integer');
  return Math.min(Number(raw), max);
}

/** Registers createRoom, join, invite, leave, send, state, messages and joined_rooms. */
export function addRoomRoutes(router: Router<Handler>, deps: ApiDeps): void {
  const { rooms } = deps;

  router.add('POST', `${V3}/createRoom`, async (ctx) => {
    const me = await ctx.auth();
    const body = await ctx.body({ allowEmpty: true });
    const name = optionalString(body, 'name');
    const topic = optionalString(body, 'topic');
    if (name !== undefined) checkLength(name, 'name', MAX_ID_BYTES);
    const visibility = optionalString(body, 'visibility');
    if (visibility !== undefined && visibility !== 'public' && visibility !== 'private') {
      throw invalidParam('"visibility" must be "public" or "private"');
    }
    const preset =
      optionalString(body, 'preset') ?? (visibility === 'public' ? 'public_chat' : 'private_chat');
    if (!ROOM_PRESETS.includes(preset as RoomPreset)) {
      throw invalidParam(`"preset" must be one of ${ROOM_PRESETS.join(', ')}`);
    }
    const version = optionalString(body, 'room_version');
    if (version !== undefined && version !== ROOM_VERSION) {
      throw matrixError('M_UNSUPPORTED_ROOM_VERSION', `Only room version ${ROOM_VERSION} is supported`);
    }
    const invite = (optionalStringArray(body, 'invite') ?? []).map((u) => checkMatrixId(u, '@', 'user id'));
    const room = await rooms.createRoom(me.userId, { preset: preset as RoomPreset, name, topic, invite });
    return { body: { room_id: room.roomId, room_handle: room.handle } };
  });

  const join: Handler = async (ctx) => {
    const me = await ctx.auth();
    const roomId = roomIdParam(ctx);
    await ctx.body({ allowEmpty: true });
    const via = ctx.query.getAll('server_name').filter((v) => v.length > 0 && v.length <= MAX_ID_BYTES);
    const room = await rooms.join(roomId, me.userId, via);
    return { body: { room_id: room.roomId, room_handle: room.handle } };
  };
  router.add('POST', `${V3}/join/:roomId`, join);
  router.add('POST', `${V3}/rooms/:roomId/join`, join);

  router.add('POST', `${V3}/rooms/:roomId/invite`, async (ctx) => {
    const me = await ctx.auth();
    const roomId = roomIdParam(ctx);
    const body = await ctx.body();
    const target = checkMatrixId(requireString(body, 'user_id'), '@', 'user id');
    await rooms.invite(roomId, me.userId, target);
    return { body: {} };
  });

  router.add('POST', `${V3}/rooms/:roomId/leave`, async (ctx) => {
    const me = await ctx.auth();
    const roomId = roomIdParam(ctx);
    await ctx.body({ allowEmpty: true });
    await rooms.leave(roomId, me.userId);
    return { body: {} };
  });

  router.add('PUT', `${V3}/rooms/:roomId/send/:eventType/:txnId`, async (ctx) => {
    const me = await ctx.auth();
    const roomId = roomIdParam(ctx);
    const type = typeParam(ctx);
    const txnId = checkLength(ctx.params.txnId!, 'txnId', MAX_ID_BYTES);
    const content = await ctx.body();
    const txn = { userId: me.userId, deviceId: me.deviceId, txnId };
    const eventId = await rooms.send(roomId, me.userId, type, content, txn);
    return { body: { event_id: eventId } };
  });

  const putState: Handler = async (ctx) => {
    const me = await ctx.auth();
    const roomId = roomIdParam(ctx);
    const type = typeParam(ctx);
    const sk = checkLength(ctx.params.stateKey ?? '', 'state key', MAX_ID_BYTES);
    const content = await ctx.body();
    const eventId = await rooms.sendState(roomId, me.userId, type, sk, content);
    return { body: { event_id: eventId } };
  };
  router.add('PUT', `${V3}/rooms/:roomId/state/:eventType/:stateKey?`, putState);
  router.add('PUT', `${V3}/rooms/:roomId/state/:eventType`, putState);

  const getState: Handler = async (ctx) => {
    const me = await ctx.auth();
    const roomId = roomIdParam(ctx);
    await rooms.requireJoined(roomId, me.userId);
    const sk = ctx.params.stateKey ?? '';
    const [entry] = await deps.storage.getStateEntries(roomId, [
      { type: ctx.params.eventType!, stateKey: sk },
    ]);
    if (!entry) throw notFound('No such state event');
    return { body: entry.event.content };
  };
  router.add('GET', `${V3}/rooms/:roomId/state/:eventType/:stateKey?`, getState);
  router.add('GET', `${V3}/rooms/:roomId/state/:eventType`, getState);

  router.add('GET', `${V3}/rooms/:roomId/state`, async (ctx) => {
    const me = await ctx.auth();
    const roomId = roomIdParam(ctx);
    await rooms.requireJoined(roomId, me.userId);
    const state = await deps.storage.getFullState(roomId);
    return { body: state.map((e) => toClientEvent(e.eventId, e.event)) };
  });

  router.add('GET', `${V3}/rooms/:roomId/messages`, async (ctx) => {
    const me = await ctx.auth();
    const roomId = roomIdParam(ctx);
    const dir = ctx.query.get('dir') ?? 'b';
    if (dir !== 'b' && dir !== 'f') throw invalidParam('"dir" must be "b" or "f"');
    const limit = parseLimit(ctx.query.get('limit'), deps.config.messagesMaxLimit);
    const from = ctx.query.get('from') ?? undefined;
    await rooms.requireJoined(roomId, me.userId);
    const req = { roomId, dir, limit, from, reader: me } as const;
    let page = await readMessages(deps.storage, req);
    // Paged back past the oldest event held: ask the room's other servers for older history.
    if (dir === 'b' && page.end === undefined && (await rooms.fillHistory(roomId, limit))) {
      page = await readMessages(deps.storage, req);
    }
    return { body: page };
  });

  router.add('GET', `${V3}/joined_rooms`, async (ctx) => {
    const me = await ctx.auth();
    return { body: { joined_rooms: await deps.storage.getJoinedRooms(me.userId) } };
  });
}
