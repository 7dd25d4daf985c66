import {
  authorizeEvent,
  authStateFromAuthEvents,
  buildEvent,
  type Clock,
  EVENT_LIMITS,
  type EventProto,
  type JsonObject,
  type PDU,
  type Random,
  type RoomState,
  type SigningKey,
  type StateEntry,
  stateKey,
} from '@parley/core';
import { forbidden, invalidParam, notFound } from '../http/matrix-errors.js';
import { isAppendConflict, PREV_EVENTS_STALE, TXN_EXISTS } from '../storage/append-conflict.js';
import type { RoomRecord, StateKeyRef, Storage, StoredEvent, TxnKey } from '../storage/storage.js';
import { newHandle, newRoomId, serverNameOf } from './ids.js';
import { initialEventProtos, type RoomPreset } from './initial-events.js';
import { KeyedMutex } from './keyed-mutex.js';

/** The room version of rooms this server creates. */
export const ROOM_VERSION = '11';

// Appends that lose the race to another instance are rebuilt at most this many times in all.
const MAX_APPEND_ATTEMPTS = 10;

/** What the {@link RoomService} is built on. */
export interface RoomServiceDeps {
  storage: Storage;
  serverName: string;
  key: SigningKey;
  clock: Clock;
  random: Random;
}

/** Options of {@link RoomService.createRoom}. */
export interface CreateRoomOptions {
  preset: RoomPreset;
  name?: string;
  topic?: string;
  invite: readonly string[];
}

/** Called with every event the service stores, after its commit. */
export type StoredEventListener = (event: StoredEvent) => void;

/** What federation plugs into the room service (see `federation/federation.ts`). */
export interface RoomFederationHooks {
  /** Joins a room held by other servers (make_join/send_join through `via`, then the room's server). */
  joinRemote(roomId: string, userId: string, via: readonly string[]): Promise<RoomRecord>;
  /** Pages older history of a room in from other servers; true when some was stored. */
  fillHistory(roomId: string, limit: number): Promise<boolean>;
}

/** A state slot as a {@link StateKeyRef}. */
const ref = (type: string, sk = ''): StateKeyRef => ({ type, stateKey: sk });

function toRoomState(entries: readonly StateEntry[]): Map<string, StateEntry> {
  const state = new Map<string, StateEntry>();
  for (const e of entries) state.set(stateKey(e.event.type, e.event.state_key ?? ''), e);
  return state;
}

/**
 * Builds, signs, authorises and stores the events of local rooms. Every new event of a room is
 * made under that room's lock: read the auth state and forward extremities, build the event on
 * them, check it against the authorization rules, commit it. So a room's DAG stays a line on a
 * single server and no two events share `prev_events`. Several instances on one PostgreSQL do
 * not share that lock, so the read-build-commit runs inside the storage's room lock
 * (`appendBuiltEvent`: a row lock on PostgreSQL).
 */
export class RoomService {
  readonly #deps: RoomServiceDeps;
  readonly #locks = new KeyedMutex();
  readonly #listeners: StoredEventListener[] = [];
  #federation: RoomFederationHooks | undefined;

  constructor(deps: RoomServiceDeps) {
    this.#deps = deps;
  }

  /** Registers a listener for stored events (metrics, sync, the realtime channel). */
  onEventStored(listener: StoredEventListener): void {
    this.#listeners.push(listener);
  }

  #emit(events: readonly StoredEvent[]): void {
    for (const e of events) for (const l of this.#listeners) l(e);
  }

  /** Hands an event stored by someone else (federation) to the listeners. */
  announceStored(event: StoredEvent): void {
    this.#emit([event]);
  }

  /** Plugs federation in: remote joins and history backfill. */
  setFederationHooks(hooks: RoomFederationHooks): void {
    this.#federation = hooks;
  }

  /** Pages older history of a room in from other servers (false without federation). */
  fillHistory(roomId: string, limit: number): Promise<boolean> {
    return this.#federation?.fillHistory(roomId, limit) ?? Promise.resolve(false);
  }

  /** The room, or `404 M_NOT_FOUND`. */
  async requireRoom(roomId: string): Promise<RoomRecord> {
    const room = await this.#deps.storage.getRoom(roomId);
    if (room) return room;
    if (serverNameOf(roomId) !== this.#deps.serverName) {
      throw notFound('Unknown room: a room of another server must be joined first');
    }
    throw notFound('Unknown room');
  }

  /** A user's current membership of a room (`join`, `invite`, `leave`, `ban`) or undefined. */
  async membership(roomId: string, userId: string): Promise<string | undefined> {
    const [entry] = await this.#deps.storage.getStateEntries(roomId, [ref('m.room.member', userId)]);
    const m = entry?.event.content.membership;
    return typeof m === 'string' ? m : undefined;
  }

  /** Throws `403 M_FORBIDDEN` unless the user is joined to the (existing) room. */
  async requireJoined(roomId: string, userId: string): Promise<RoomRecord> {
    const room = await this.requireRoom(roomId);
    if ((await this.membership(roomId, userId)) !== 'join')
      throw forbidden('You are not a member of this room');
    return room;
  }

  /**
   * Creates a room: its initial state events and invites, committed in one transaction.
   *
   * @throws `404 M_NOT_FOUND` for an invitee with no account here, `400 M_INVALID_PARAM` for an
   *   invitee of another server.
   */
  async createRoom(creator: string, options: CreateRoomOptions): Promise<RoomRecord> {
    const { storage, serverName, random, clock } = this.#deps;
    const invite = [...new Set(options.invite)].filter((u) => u !== creator);
    for (const u of invite) await this.#checkInvitee(u);
    const roomId = newRoomId(random, serverName);
    const protos = initialEventProtos({ ...options, invite, roomId, creator, roomVersion: ROOM_VERSION });
    const state = new Map<string, StateEntry>();
    const events = [];
    let prev: { eventId: string; depth: number }[] = [];
    for (const proto of protos) {
      const built = this.#build(proto, state, prev);
      this.#authorize(built.event, state);
      state.set(stateKey(proto.type, proto.state_key ?? ''), built);
      events.push(built);
      prev = [{ eventId: built.eventId, depth: built.event.depth }];
    }
    const room = { roomId, roomVersion: ROOM_VERSION, creator, createdTs: clock.now() };
    const result = await storage.createRoom(room, () => newHandle(random), events);
    this.#emit(result.events);
    return result.room;
  }

  /**
   * Joins a room (no event when already joined). A room of another server that no user of ours is
   * in is joined over federation, through `via` and then the room id's server.
   */
  async join(roomId: string, userId: string, via: readonly string[] = []): Promise<RoomRecord> {
    const { storage, serverName } = this.#deps;
    if (this.#federation !== undefined && serverNameOf(roomId) !== serverName) {
      const known = await storage.getRoom(roomId);
      const ours = known && (await storage.getRoomServers(roomId)).some((s) => s.name === serverName);
      if (!ours) return this.#federation.joinRemote(roomId, userId, via);
    }
    const room = await this.requireRoom(roomId);
    await this.#locks.run(roomId, async () => {
      if ((await this.membership(roomId, userId)) === 'join') return;
      await this.#appendLocked(roomId, this.#member(roomId, userId, userId, 'join'));
    });
    return room;
  }

  /** Invites `target` (a local user) on behalf of `sender`. */
  async invite(roomId: string, sender: string, target: string): Promise<string> {
    await this.requireRoom(roomId);
    await this.#checkInvitee(target);
    return this.#append(roomId, this.#member(roomId, sender, target, 'invite'));
  }

  /** Leaves a room (or rejects an invite). */
  async leave(roomId: string, userId: string): Promise<string> {
    await this.requireRoom(roomId);
    return this.#append(roomId, this.#member(roomId, userId, userId, 'leave'));
  }

  /** Sends a message event; the same `(device, txnId)` always answers the same event id. */
  async send(
    roomId: string,
    sender: string,
    type: string,
    content: JsonObject,
    txn: TxnKey,
  ): Promise<string> {
    const { storage } = this.#deps;
    const txnLock = JSON.stringify([txn.userId, txn.deviceId, txn.txnId]);
    return this.#locks.run(txnLock, async () => {
      const seen = await storage.getTxnEventId(txn);
      if (seen !== undefined) return seen;
      await this.requireRoom(roomId);
      try {
        return await this.#append(roomId, { type, sender, room_id: roomId, content }, txn);
      } catch (err) {
        // Another instance stored the same retry first (the in-process lock cannot see it).
        const first = isAppendConflict(err, TXN_EXISTS) ? await storage.getTxnEventId(txn) : undefined;
        if (first !== undefined) return first;
        throw err;
      }
    });
  }

  /** Sends a state event. */
  async sendState(
    roomId: string,
    sender: string,
    type: string,
    sk: string,
    content: JsonObject,
  ): Promise<string> {
    await this.requireRoom(roomId);
    return this.#append(roomId, { type, sender, room_id: roomId, content, state_key: sk });
  }

  async #checkInvitee(userId: string): Promise<void> {
    if (serverNameOf(userId) !== this.#deps.serverName) {
      throw invalidParam(
        `Cannot invite ${userId}: invites over federation are not supported yet (the user can join a public room)`,
      );
    }
    if (!(await this.#deps.storage.getUser(userId))) throw notFound(`Unknown user ${userId}`);
  }

  #member(roomId: string, sender: string, target: string, membership: string): EventProto {
    return { type: 'm.room.member', sender, room_id: roomId, state_key: target, content: { membership } };
  }

  #append(roomId: string, proto: EventProto, txn?: TxnKey): Promise<string> {
    return this.#locks.run(roomId, () => this.#appendLocked(roomId, proto, txn));
  }

  async #appendLocked(roomId: string, proto: EventProto, txn?: TxnKey): Promise<string> {
    // The storage builds under its room lock, so a stale build should never reach it; but if
    // some other writer (federation) moved the extremities anyway, it refuses (nothing stored)
    // and the event is built again on the new ones.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#buildAndStore(roomId, proto, txn);
      } catch (err) {
        if (attempt >= MAX_APPEND_ATTEMPTS || !isAppendConflict(err, PREV_EVENTS_STALE)) throw err;
      }
    }
  }

  async #buildAndStore(roomId: string, proto: EventProto, txn?: TxnKey): Promise<string> {
    const { storage } = this.#deps;
    const keys = [ref('m.room.create'), ref('m.room.power_levels'), ref('m.room.join_rules')];
    keys.push(ref('m.room.member', proto.sender));
    if (proto.type === 'm.room.member' && proto.state_key !== undefined && proto.state_key !== proto.sender) {
      keys.push(ref('m.room.member', proto.state_key));
    }
    // Read, build, authorise and store under the room's write lock in the storage, so another
    // instance on the same PostgreSQL cannot append in between.
    const stored = await storage.appendBuiltEvent(
      roomId,
      keys,
      EVENT_LIMITS.maxPrevEvents,
      (entries, prev) => {
        const state = toRoomState(entries);
        const built = this.#build(proto, state, prev);
        this.#authorize(built.event, state);
        return built;
      },
      txn,
    );
    this.#emit([stored]);
    return stored.eventId;
  }

  /** Builds and signs an event (buildEvent also enforces the 65,536-byte and shape limits). */
  #build(proto: EventProto, state: RoomState, prevEvents: { eventId: string; depth: number }[]): StateEntry {
    const { serverName, key, clock } = this.#deps;
    return buildEvent(proto, { state, prevEvents, originServerTs: clock.now(), origin: serverName, key });
  }

  #authorize(event: PDU, state: RoomState): void {
    // Checked against the state made of the event's own auth events, so the server decides as
    // a remote server will when it checks the same event.
    const cited = new Set(event.auth_events);
    const authState = authStateFromAuthEvents(
      event,
      [...state.values()].filter((e) => cited.has(e.eventId)),
    );
    const result = authState.ok ? authorizeEvent(event, authState.state) : authState;
    if (!result.ok) throw forbidden(`${result.reason} (auth rule ${result.rule})`);
  }
}
