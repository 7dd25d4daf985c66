import { isEventId, isRoomId, type JsonObject } from '@parley/core';
import type { Handler, RequestContext } from '../../http/handler.js';
import { badJson, forbidden, invalidParam, notFound } from '../../http/matrix-errors.js';
import type { StoredEvent } from '../../storage/storage.js';
import { authChain, backfillWalk, missingEventsWalk } from '../dag-walks.js';
import type { Federation } from '../federation.js';
import type { FederationRequester } from '../request-auth.js';

const V1 = '/_matrix/federation/v1';
/** Caps of the protocol. */
export const BACKFILL_MAX_LIMIT = 100;
export const GET_MISSING_EVENTS_MAX_LIMIT = 20;

function roomParam(ctx: RequestContext): string {
  const roomId = ctx.params.roomId as string;
  if (!isRoomId(roomId)) throw invalidParam('Invalid room id');
  return roomId;
}

function eventIdOf(value: string | null | undefined, name: string): string {
  if (typeof value !== 'string' || !isEventId(value)) throw invalidParam(`"${name}" must be an event id`);
  return value;
}

function idList(body: JsonObject, name: string, max: number): string[] {
  const v = body[name];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > max || !v.every((x) => typeof x === 'string' && isEventId(x))) {
    throw badJson(`"${name}" must be a list of at most ${max} event ids`);
  }
  return v as string[];
}

function intField(body: JsonObject, name: string, dflt: number): number {
  const v = body[name];
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw badJson(`"${name}" must be a non-negative integer`);
  return v;
}

/**
 * Only servers with a member in the room may read its events.
 *
 * @throws `404 M_NOT_FOUND` for a room we do not know, `403 M_FORBIDDEN` when `origin` has no
 *   joined member in it.
 */
export async function requireServerInRoom(fed: Federation, origin: string, roomId: string): Promise<void> {
  if ((await fed.storage.getRoom(roomId)) === undefined) throw notFound('Unknown room');
  const servers = await fed.storage.getRoomServers(roomId);
  if (!servers.some((s) => s.name === origin)) throw forbidden(`${origin} has no member in this room`);
}

/** An event of `roomId` we hold, or 404. */
async function eventIn(fed: Federation, roomId: string, eventId: string): Promise<StoredEvent> {
  const [e] = await fed.storage.getEvents([eventId]);
  if (e === undefined || e.event.room_id !== roomId) throw notFound('Unknown event');
  return e;
}

/** The room state before `eventId`, and the auth chain of that state. */
async function stateAt(fed: Federation, roomId: string, eventId: string) {
  const at = await eventIn(fed, roomId, eventId);
  const state = await fed.storage.getStateBeforeDepth(roomId, at.event.depth);
  const chain = await authChain(
    fed.storage,
    roomId,
    state.map((s) => s.event),
  );
  return { state, chain };
}

/** Registers the federation read endpoints. */
export function addReadRoutes(fed: Federation): void {
  const auth = (ctx: RequestContext, body = false): Promise<FederationRequester> =>
    fed.authenticate(ctx, { body });
  const answer = (extra: Record<string, unknown>) => ({
    body: { origin: fed.serverName, origin_server_ts: fed.clock.now(), ...extra },
  });
  const route = (method: string, path: string, h: Handler): void =>
    fed.server.route(method, `${V1}${path}`, h);

  route('GET', '/event/:eventId', async (ctx) => {
    const { origin } = await auth(ctx);
    const eventId = eventIdOf(ctx.params.eventId, 'eventId');
    const [e] = await fed.storage.getEvents([eventId]);
    if (e === undefined) throw notFound('Unknown event');
    await requireServerInRoom(fed, origin, e.event.room_id);
    return answer({ pdus: [e.event] });
  });

  route('GET', '/state/:roomId', async (ctx) => {
    const { origin } = await auth(ctx);
    const roomId = roomParam(ctx);
    const eventId = eventIdOf(ctx.query.get('event_id'), 'event_id');
    await requireServerInRoom(fed, origin, roomId);
    const { state, chain } = await stateAt(fed, roomId, eventId);
    return { body: { pdus: state.map((s) => s.event), auth_chain: chain.map((s) => s.event) } };
  });

  route('GET', '/state_ids/:roomId', async (ctx) => {
    const { origin } = await auth(ctx);
    const roomId = roomParam(ctx);
    const eventId = eventIdOf(ctx.query.get('event_id'), 'event_id');
    await requireServerInRoom(fed, origin, roomId);
    const { state, chain } = await stateAt(fed, roomId, eventId);
    return { body: { pdu_ids: state.map((s) => s.eventId), auth_chain_ids: chain.map((s) => s.eventId) } };
  });

  route('GET', '/backfill/:roomId', async (ctx) => {
    const { origin } = await auth(ctx);
    const roomId = roomParam(ctx);
    const v = ctx.query.getAll('v');
    if (v.length === 0 || v.length > 20) throw invalidParam('"v" must name 1 to 20 event ids');
    for (const id of v) eventIdOf(id, 'v');
    const rawLimit = ctx.query.get('limit');
    if (rawLimit === null || !/^\d{1,9}$/.test(rawLimit) || Number(rawLimit) < 1) {
      throw invalidParam('"limit" must be a positive integer');
    }
    const limit = Math.min(Number(rawLimit), BACKFILL_MAX_LIMIT);
    await requireServerInRoom(fed, origin, roomId);
    const events = await backfillWalk(fed.storage, roomId, v, limit);
    return answer({ pdus: events.map((e) => e.event) });
  });

  route('POST', '/get_missing_events/:roomId', async (ctx) => {
    const { origin, body } = await auth(ctx, true);
    const roomId = roomParam(ctx);
    const b = body as JsonObject;
    const latest = idList(b, 'latest_events', 20);
    const earliest = idList(b, 'earliest_events', 100);
    if (latest.length === 0) throw badJson('"latest_events" must name at least one event');
    const limit = Math.min(intField(b, 'limit', 10), GET_MISSING_EVENTS_MAX_LIMIT);
    const minDepth = intField(b, 'min_depth', 0);
    await requireServerInRoom(fed, origin, roomId);
    const events = await missingEventsWalk(fed.storage, roomId, { earliest, latest, limit, minDepth });
    return { body: { events: events.map((e) => e.event) } };
  });

  route('GET', '/event_auth/:roomId/:eventId', async (ctx) => {
    const { origin } = await auth(ctx);
    const roomId = roomParam(ctx);
    const eventId = eventIdOf(ctx.params.eventId, 'eventId');
    await requireServerInRoom(fed, origin, roomId);
    const e = await eventIn(fed, roomId, eventId);
    const chain = await authChain(fed.storage, roomId, [e.event]);
    return { body: { auth_chain: chain.map((s) => s.event) } };
  });
}
