import {
  authorizeEvent,
  authStateFromAuthEvents,
  createPduVerifier,
  domainOf,
  EVENT_LIMITS,
  isRoomId,
  isUserId,
  type PDU,
  type RoomState,
  type StateEntry,
  selectAuthEvents,
  stateKey,
  type UnsignedPDU,
} from '@parley/core';
import type { RequestContext } from '../../http/handler.js';
import { badJson, forbidden, invalidParam, matrixError, notFound } from '../../http/matrix-errors.js';
import { authChain } from '../dag-walks.js';
import { authorizeByAuthEvents } from '../event-auth.js';
import type { Federation } from '../federation.js';
import { signingKeysOf } from '../known-events.js';

const ROOM_VERSION = '11';

function roomParam(ctx: RequestContext): string {
  const roomId = ctx.params.roomId as string;
  if (!isRoomId(roomId)) throw invalidParam('Invalid room id');
  return roomId;
}

function toState(entries: readonly StateEntry[]): RoomState {
  const m = new Map<string, StateEntry>();
  for (const e of entries) m.set(stateKey(e.event.type, e.event.state_key ?? ''), e);
  return m;
}

/** The state a join of `userId` is authorized against: create, power levels, join rules, the user. */
async function joinState(fed: Federation, roomId: string, userId: string): Promise<RoomState> {
  const slots = ['m.room.create', 'm.room.power_levels', 'm.room.join_rules'].map((type) => ({
    type,
    stateKey: '',
  }));
  slots.push({ type: 'm.room.member', stateKey: userId });
  return toState(await fed.storage.getStateEntries(roomId, slots));
}

/** Registers `make_join` and `send_join` (v2): how a server with no member joins a room here. */
export function addJoinRoutes(fed: Federation): void {
  fed.server.route('GET', '/_matrix/federation/v1/make_join/:roomId/:userId', async (ctx) => {
    const { origin } = await fed.authenticate(ctx, { body: false });
    const roomId = roomParam(ctx);
    const userId = ctx.params.userId as string;
    if (!isUserId(userId)) throw invalidParam('Invalid user id');
    if (domainOf(userId) !== origin) throw forbidden('The user is not of the requesting server');
    const versions = ctx.query.getAll('ver');
    if (versions.length > 0 && !versions.includes(ROOM_VERSION)) {
      throw matrixError('M_INCOMPATIBLE_ROOM_VERSION', `The room version is ${ROOM_VERSION}`, {
        room_version: ROOM_VERSION,
      });
    }
    if ((await fed.storage.getRoom(roomId)) === undefined) throw notFound('Unknown room');
    const state = await joinState(fed, roomId, userId);
    const prev = await fed.storage.getForwardExtremities(roomId, EVENT_LIMITS.maxPrevEvents);
    const template = {
      type: 'm.room.member',
      room_id: roomId,
      sender: userId,
      state_key: userId,
      content: { membership: 'join' },
      depth: Math.max(0, ...prev.map((p) => p.depth)) + 1,
      prev_events: prev.map((p) => p.eventId),
      auth_events: [] as string[],
      origin_server_ts: fed.clock.now(),
    } satisfies UnsignedPDU;
    template.auth_events = selectAuthEvents(template, state);
    const cited = new Set(template.auth_events);
    const auth = authStateFromAuthEvents(
      template as unknown as PDU,
      [...state.values()].filter((e) => cited.has(e.eventId)),
    );
    const verdict = auth.ok ? authorizeEvent(template as unknown as PDU, auth.state) : auth;
    if (!verdict.ok) throw forbidden(`You cannot join this room: ${verdict.reason}`);
    return { body: { room_version: ROOM_VERSION, event: template } };
  });

  fed.server.route('PUT', '/_matrix/federation/v2/send_join/:roomId/:eventId', async (ctx) => {
    const { origin, body } = await fed.authenticate(ctx, { body: true });
    const roomId = roomParam(ctx);
    const eventId = ctx.params.eventId as string;
    if ((await fed.storage.getRoom(roomId)) === undefined) throw notFound('Unknown room');
    const json = body as unknown as PDU;
    if (typeof json.sender !== 'string' || domainOf(json.sender) !== origin) {
      throw forbidden('The join must be sent by the joining server');
    }
    for (const [server, keyId] of signingKeysOf(json)) await fed.keys.ensure(server, keyId);
    const checked = createPduVerifier((s, k) => fed.keys.lookup(s, k)).verify(eventId, roomId, json);
    if (!checked.ok) throw badJson(`Invalid join event: ${checked.kind}`);
    const pdu = checked.pdu;
    if (pdu.type !== 'm.room.member' || pdu.state_key !== pdu.sender || pdu.content.membership !== 'join') {
      throw badJson('Not a join event of its sender');
    }
    const byAuth = await authorizeByAuthEvents(fed.storage, pdu);
    if (!byAuth.ok) throw forbidden(`Join refused: ${byAuth.reason}`);
    const now = await joinState(fed, roomId, pdu.sender);
    const current = authorizeEvent(pdu, now);
    if (!current.ok) throw forbidden(`Join refused: ${current.reason}`);

    const state = await fed.storage.getFullState(roomId);
    await fed.known.prime(fed.storage, pdu.prev_events);
    await fed.sink.store(roomId, eventId, pdu, 'live');
    const chain = await authChain(fed.storage, roomId, [...state.map((s) => s.event), pdu]);
    // We are the server the joining one knows: pass its join on to everyone else in the room.
    const servers = (await fed.storage.getRoomServers(roomId)).map((s) => s.name);
    fed.outbound.enqueue(
      servers.filter((s) => s !== origin),
      pdu,
    );
    return {
      body: {
        origin: fed.serverName,
        state: state.map((s) => s.event),
        auth_chain: chain.map((s) => s.event),
        event: pdu,
        members_omitted: false,
        servers_in_room: servers,
      },
    };
  });
}
