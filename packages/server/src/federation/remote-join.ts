import {
  computeEventId,
  createPduVerifier,
  domainOf,
  type JsonObject,
  ParleyError,
  type PDU,
  signEvent,
  type UnsignedPDU,
  validatePdu,
} from '@parley/core';
import { forbidden, matrixError, notFound } from '../http/matrix-errors.js';
import { newHandle } from '../rooms/ids.js';
import type { RoomRecord } from '../storage/storage.js';
import { authorizeByAuthEvents } from './event-auth.js';
import type { Federation } from './federation.js';
import { seg } from './federation-client.js';
import type { HttpJsonResult } from './http-json.js';
import { signingKeysOf } from './known-events.js';
import { isServerName } from './server-name.js';

const ROOM_VERSION = '11';
// Events a join's state and auth chain may hold (a bound on the work one join can cause).
const MAX_JOIN_EVENTS = 20_000;

/** `502 M_UNKNOWN`: the other server is down or answered something unusable. */
const upstream = (message: string): ParleyError => ParleyError.matrix('M_UNKNOWN', message, 502);

function fail(res: HttpJsonResult & { ok: false }, what: string): Error {
  if (res.status === 403) return forbidden(`${what}: ${res.error}`);
  // Nobody answered (refused, unreachable, unresolvable): as far as we can tell, no such room.
  if (res.status === 404 || res.status === undefined) return notFound(`${what}: ${res.error}`);
  return upstream(`${what}: ${res.error}`);
}

function checkTemplate(t: unknown, roomId: string, userId: string): UnsignedPDU {
  const e = t as Partial<UnsignedPDU> | undefined;
  if (
    typeof e !== 'object' ||
    e === null ||
    e.type !== 'm.room.member' ||
    e.room_id !== roomId ||
    e.sender !== userId ||
    e.state_key !== userId ||
    (e.content as JsonObject | undefined)?.membership !== 'join'
  ) {
    throw upstream('The resident server sent an unusable join template');
  }
  return e as UnsignedPDU;
}

/**
 * Joins `userId` (ours) to a room held by other servers: `make_join` and `send_join` through the
 * first of `via` (then the room id's server) that answers; the returned state and auth chain are
 * verified (signatures, hashes, ids) and authorized in depth order, then stored — the state as the
 * room's current state, our join as its new forward extremity.
 *
 * @throws `404 M_NOT_FOUND` when no server knows the room, `403 M_FORBIDDEN` when it refuses the
 *   join, `500 M_UNKNOWN` when the answers cannot be used.
 */
export function joinRemoteRoom(
  fed: Federation,
  roomId: string,
  userId: string,
  via: readonly string[],
): Promise<RoomRecord> {
  // Events the resident sends right after our join must wait for the join to be stored (see
  // `Federation.joinInProgress`), not be refused for an unknown room.
  return fed.trackJoin(roomId, joinThrough(fed, roomId, userId, via));
}

async function joinThrough(
  fed: Federation,
  roomId: string,
  userId: string,
  via: readonly string[],
): Promise<RoomRecord> {
  const candidates = [...new Set([...via, domainOf(roomId)])].filter(
    (s) => s !== fed.serverName && isServerName(s),
  );
  if (candidates.length === 0) throw notFound('No server to join this room through');
  let lastError: Error = notFound('Unknown room');
  for (const server of candidates) {
    try {
      return await joinVia(fed, server, roomId, userId);
    } catch (err) {
      lastError = err as Error;
      if ((err as { httpStatus?: number }).httpStatus === 403) throw err;
    }
  }
  throw lastError;
}

async function joinVia(fed: Federation, server: string, roomId: string, userId: string): Promise<RoomRecord> {
  const made = await fed.client.request(server, {
    method: 'GET',
    path: `/_matrix/federation/v1/make_join/${seg(roomId)}/${seg(userId)}?ver=${ROOM_VERSION}`,
  });
  if (!made.ok) throw fail(made, `make_join via ${server}`);
  const body = made.body as { room_version?: unknown; event?: unknown };
  if (body.room_version !== undefined && body.room_version !== ROOM_VERSION) {
    throw matrixError(
      'M_UNSUPPORTED_ROOM_VERSION',
      `Room version ${String(body.room_version)} is not supported`,
    );
  }
  const template = checkTemplate(body.event, roomId, userId);
  const {
    hashes: _h,
    signatures: _s,
    unsigned: _u,
    ...rest
  } = template as UnsignedPDU & {
    hashes?: unknown;
    signatures?: unknown;
  };
  const join = signEvent(
    { ...rest, origin_server_ts: fed.clock.now() } as UnsignedPDU,
    fed.serverName,
    fed.key,
  );
  validatePdu(join as unknown as JsonObject);
  const joinId = computeEventId(join);

  const sent = await fed.client.request(server, {
    method: 'PUT',
    path: `/_matrix/federation/v2/send_join/${seg(roomId)}/${seg(joinId)}`,
    body: join as unknown as JsonObject,
  });
  if (!sent.ok) throw fail(sent, `send_join via ${server}`);
  const answer = sent.body as { state?: unknown; auth_chain?: unknown };
  const raw = [
    ...(Array.isArray(answer.state) ? answer.state : []),
    ...(Array.isArray(answer.auth_chain) ? answer.auth_chain : []),
  ];
  if (raw.length > MAX_JOIN_EVENTS) throw upstream('The room state is too large to join');
  const stateIds = new Set<string>();
  const events = await verifyAll(fed, roomId, raw, Array.isArray(answer.state) ? answer.state : [], stateIds);
  const create = [...events.values()].find((e) => e.type === 'm.room.create' && e.state_key === '');
  if (create === undefined || !stateIds.has(computeEventId(create))) {
    throw upstream('The room state has no create event');
  }
  // Authorize in depth order; an event failing (or citing one that failed) is left out.
  const accepted = new Map<string, PDU>();
  const ordered = [...events].sort(([ia, a], [ib, b]) => a.depth - b.depth || (ia < ib ? -1 : 1));
  for (const [id, pdu] of ordered) {
    const v = await authorizeByAuthEvents(fed.storage, pdu, accepted);
    if (v.ok) accepted.set(id, pdu);
  }
  const joinVerdict = await authorizeByAuthEvents(fed.storage, join, accepted);
  if (!joinVerdict.ok) throw forbidden(`The join does not pass the room's rules: ${joinVerdict.reason}`);

  let room = await fed.storage.getRoom(roomId);
  if (room === undefined) {
    const created = await fed.storage.createRoom(
      { roomId, roomVersion: ROOM_VERSION, creator: create.sender, createdTs: fed.clock.now() },
      () => newHandle(fed.random),
      [],
    );
    room = created.room;
  }
  // The auth chain first (history), then the state (current state, announced), then our join.
  for (const [id, pdu] of ordered) {
    if (accepted.has(id) && !stateIds.has(id)) await fed.sink.store(roomId, id, pdu, 'historical');
  }
  for (const [id, pdu] of ordered) {
    if (accepted.has(id) && stateIds.has(id)) await fed.sink.store(roomId, id, pdu, 'state');
  }
  await fed.sink.store(roomId, joinId, join, 'live');
  return room;
}

async function verifyAll(
  fed: Federation,
  roomId: string,
  raw: readonly unknown[],
  state: readonly unknown[],
  stateIds: Set<string>,
): Promise<Map<string, PDU>> {
  const wanted = new Map<string, [string, string]>();
  for (const e of raw) for (const k of signingKeysOf(e)) wanted.set(k.join(' '), k);
  await Promise.all([...wanted.values()].map(([server, keyId]) => fed.keys.ensure(server, keyId)));
  const verifier = createPduVerifier((s, k) => fed.keys.lookup(s, k));
  const stateSet = new Set(state);
  const out = new Map<string, PDU>();
  for (const json of raw) {
    const r = verifier.verify(null, roomId, json);
    let pdu: PDU;
    let id: string;
    if (r.ok) {
      pdu = r.pdu;
      id = r.eventId;
    } else if (r.kind === 'hash_mismatch') {
      pdu = r.redacted;
      id = r.eventId;
    } else continue;
    out.set(id, pdu);
    if (stateSet.has(json)) stateIds.add(id);
  }
  return out;
}
