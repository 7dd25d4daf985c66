/**
 * Cluster mode of the router: several server instances, each with its own router and its own
 * connections, behave as one server. Each router reports what the others need (its connections'
 * presence, in-call heartbeats, RTMSG for their connections) through `pollCluster()`, and takes
 * the others' in through {@link RealtimeRouterCluster}. The transport between instances (Redis
 * pub/sub in the Parley server) is the caller's.
 *
 * The model: every instance knows every live connection of the cluster (its own in full, the
 * others' as {@link RealtimeRemoteConnection} records: user, client id, presence), and computes
 * merged presence and in-call flags itself from them; it sends only to its own connections. A
 * command is acted on by the instance whose connection sent it; the others hear of its result.
 *
 * @packageDocumentation
 */

import { ParleyError } from '../errors.js';
import type { ClientIds } from './client-ids.js';
import type { ClientRtmsg } from './commands.js';
import { encodeServerRtmsgFast } from './encode.js';
import { assertHandleHex, type HandleHex, ZERO_HANDLE } from './handle.js';
import type { InCallWatch } from './in-call-watch.js';
import type { Outbox } from './outbox.js';
import type { RouterGraph } from './router-graph.js';
import type { RemoteConn, RouterConn, RouterRoom, RouterUser } from './router-state.js';
import { TokenBucket } from './token-bucket.js';

/** A live connection held by another instance. */
export interface RealtimeRemoteConnection {
  /** The instance that holds it (any string that names the instance; the caller's choice). */
  origin: string;
  /** Its client id (unique across the cluster: each instance has a range of its own). */
  clientId: number;
  user: HandleHex;
  /** Its own presence value (0..127) and whether its idle timer set it. */
  presence: number;
  idle: boolean;
}

/** An RTMSG accepted by one instance, for the connections of another. */
export interface RealtimeForwardedRtmsg {
  room: HandleHex;
  senderUser: HandleHex;
  senderClient: number;
  /** The addressing of the original command: (0, 0), (U, 0) or (U, C). */
  receiverUser: HandleHex;
  receiverClient: number;
  msgtype: number;
  /** A copy (never a view into a receive buffer). */
  data: Uint8Array;
}

/** What one instance's router tells the others (the payload of a `{ cluster }` output). */
export type RealtimeClusterEvent =
  /** A connection of this instance said HELLO, or its own presence changed. */
  | { type: 'conn'; clientId: number; user: HandleHex; presence: number; idle: boolean }
  /** A live connection of this instance ended. */
  | { type: 'gone'; clientId: number }
  /** A connection of this instance sent an accepted `OP_IN_CALL` (1: heartbeat, 0: left). */
  | { type: 'in_call'; clientId: number; room: HandleHex; status: 0 | 1 }
  /** An accepted RTMSG with receivers on the instances `origins` (and only there). */
  | ({ type: 'rtmsg'; origins: string[] } & RealtimeForwardedRtmsg);

/**
 * The cluster side of a router: reports its own connections' news and applies the other
 * instances'. Every method tolerates repeats and news about unknown connections (messages
 * between instances may cross), and throws only on malformed handles (a caller bug).
 */
export class RealtimeRouterCluster {
  readonly #graph: RouterGraph;
  readonly #outbox: Outbox;
  readonly #clientIds: ClientIds<RouterConn>;
  readonly #calls: InCallWatch;
  readonly #enabled: boolean;
  readonly #events: RealtimeClusterEvent[] = [];
  #head = 0;
  readonly #byClient = new Map<number, RemoteConn>();
  readonly #byOrigin = new Map<string, Set<RemoteConn>>();

  /** @internal */
  constructor(
    graph: RouterGraph,
    outbox: Outbox,
    clientIds: ClientIds<RouterConn>,
    calls: InCallWatch,
    enabled: boolean,
  ) {
    this.#graph = graph;
    this.#outbox = outbox;
    this.#clientIds = clientIds;
    this.#calls = calls;
    this.#enabled = enabled;
  }

  /** Whether the router runs in cluster mode (option `cluster`). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Remote connections known. */
  get remoteCount(): number {
    return this.#byClient.size;
  }

  /** The instances that hold at least one known remote connection. */
  origins(): string[] {
    return [...this.#byOrigin.keys()];
  }

  /** The remote connection with client id `clientId`, if known. */
  remote(clientId: number): RealtimeRemoteConnection | undefined {
    const c = this.#byClient.get(clientId);
    if (c === undefined) return undefined;
    return { origin: c.origin, clientId, user: c.user.handle, presence: c.value, idle: c.idle };
  }

  /**
   * A connection of another instance is live with this presence (its HELLO, or a change). A
   * changed merged presence goes to this instance's watchers at once.
   */
  upsert(r: RealtimeRemoteConnection, now: number): void {
    assertHandleHex(r.user, 'user');
    if (r.user === ZERO_HANDLE) throw new ParleyError('invalid_argument', 'user must not be the zero handle');
    checkClientId(r.clientId);
    const known = this.#byClient.get(r.clientId);
    if (known !== undefined && (known.origin !== r.origin || known.user.handle !== r.user)) {
      // The id was reused (its old holder's end did not reach us): a new connection.
      this.remove(r.clientId, now);
    }
    const conn = this.#byClient.get(r.clientId);
    const value = r.presence & 0x7f;
    if (conn !== undefined) {
      if (conn.value === value && conn.idle === r.idle) return;
      conn.value = value;
      conn.idle = r.idle;
      this.#graph.updatePresence(conn.user);
      return;
    }
    const user = this.#graph.user(r.user);
    const created: RemoteConn = {
      origin: r.origin,
      // Never sent to: remote connections are not in any outbox.
      id: 0,
      user,
      clientId: r.clientId,
      clientVersion: 0,
      live: true,
      closed: false,
      lastSeen: now,
      bucket: NO_BUCKET,
      callRooms: new Set(),
      value,
      idle: r.idle,
    };
    this.#byClient.set(r.clientId, created);
    let set = this.#byOrigin.get(r.origin);
    if (set === undefined) {
      set = new Set();
      this.#byOrigin.set(r.origin, set);
    }
    set.add(created);
    user.remote.add(created);
    this.#graph.updatePresence(user);
  }

  /** A remote connection ended: out of presence and calls. */
  remove(clientId: number, _now: number): void {
    const conn = this.#byClient.get(clientId);
    if (conn === undefined) return;
    this.#byClient.delete(clientId);
    const set = this.#byOrigin.get(conn.origin);
    set?.delete(conn);
    if (set?.size === 0) this.#byOrigin.delete(conn.origin);
    conn.closed = true;
    const u = conn.user;
    u.remote.delete(conn);
    this.#calls.leaveAll(conn);
    this.#graph.updatePresence(u);
    this.#graph.forgetIfUnused(u);
  }

  /** Every connection of instance `origin` ended (it stopped, or its lease expired after a crash). */
  removeOrigin(origin: string, now: number): void {
    const set = this.#byOrigin.get(origin);
    if (set === undefined) return;
    for (const c of [...set]) this.remove(c.clientId, now);
  }

  /** A remote connection sent `OP_IN_CALL room status` (accepted by its instance). */
  inCall(clientId: number, room: HandleHex, status: 0 | 1, now: number): void {
    assertHandleHex(room, 'room');
    const conn = this.#byClient.get(clientId);
    const r = this.#graph.rooms.get(room);
    // Our view of the room may lag its instance's by a moment; a non-member is not counted here.
    if (conn === undefined || r === undefined || !r.members.has(conn.user)) return;
    if (status === 1) this.#calls.beat(conn, r, now);
    else this.#calls.leave(conn, r);
  }

  /** Delivers an RTMSG accepted by another instance to this instance's connections it addresses. */
  deliver(m: RealtimeForwardedRtmsg): void {
    assertHandleHex(m.room, 'room');
    assertHandleHex(m.senderUser, 'user');
    assertHandleHex(m.receiverUser, 'user');
    checkClientId(m.senderClient);
    const r = this.#graph.rooms.get(m.room);
    const sender = this.#graph.users.get(m.senderUser);
    // A sender kicked meanwhile (as this instance already knows) is not delivered.
    if (r === undefined || sender === undefined || !r.members.has(sender)) return;
    const out = encodeServerRtmsgFast(r.bytes, sender.bytes, m.senderClient, m.msgtype, m.data);
    if (m.receiverUser === ZERO_HANDLE) {
      for (const u of r.members) for (const c of u.live) this.#outbox.push(c.id, out);
      return;
    }
    const receiver = this.#graph.users.get(m.receiverUser);
    if (receiver === undefined || !r.members.has(receiver)) return;
    if (m.receiverClient === 0) {
      for (const c of receiver.live) this.#outbox.push(c.id, out);
      return;
    }
    const target = this.#clientIds.get(m.receiverClient);
    if (target !== undefined && target.user === receiver && target.live) this.#outbox.push(target.id, out);
  }

  /** The next event for the other instances, if any. @internal */
  take(): RealtimeClusterEvent | undefined {
    if (this.#head >= this.#events.length) return undefined;
    const e = this.#events[this.#head++]!;
    if (this.#head === this.#events.length) {
      this.#events.length = 0;
      this.#head = 0;
    }
    return e;
  }

  /** Reports a local connection's presence (at HELLO and on every change). @internal */
  reportConn(conn: RouterConn): void {
    if (!this.#enabled) return;
    this.#events.push({
      type: 'conn',
      clientId: conn.clientId,
      user: conn.user.handle,
      presence: conn.value,
      idle: conn.idle,
    });
  }

  /** @internal */
  reportGone(conn: RouterConn): void {
    if (this.#enabled) this.#events.push({ type: 'gone', clientId: conn.clientId });
  }

  /** @internal */
  reportInCall(conn: RouterConn, room: HandleHex, status: 0 | 1): void {
    if (this.#enabled) this.#events.push({ type: 'in_call', clientId: conn.clientId, room, status });
  }

  /** The remote connection with this client id, for (U, C) addressing. @internal */
  connection(clientId: number): RemoteConn | undefined {
    return this.#byClient.get(clientId);
  }

  /**
   * Forwards an accepted RTMSG to the instances holding a remote connection of `receivers`
   * (every member for (0, 0), U for (U, 0)), or to `only` for (U, C). @internal
   */
  forward(
    sender: RouterConn,
    r: RouterRoom,
    cmd: ClientRtmsg,
    receivers: Iterable<RouterUser>,
    only?: RemoteConn,
  ): void {
    if (!this.#enabled) return;
    let origins: string[];
    if (only !== undefined) {
      origins = [only.origin];
    } else {
      const found = new Set<string>();
      for (const u of receivers) for (const c of u.remote) found.add(c.origin);
      if (found.size === 0) return;
      origins = [...found];
    }
    this.#events.push({
      type: 'rtmsg',
      origins,
      room: r.handle,
      senderUser: sender.user.handle,
      senderClient: sender.clientId,
      receiverUser: cmd.receiverUser,
      receiverClient: cmd.receiverClient,
      msgtype: cmd.msgtype,
      // The command's data is a view into the received message, which the caller may reuse.
      data: cmd.data.slice(),
    });
  }
}

// Remote connections never send through this router, so they share one unused bucket.
const NO_BUCKET = new TokenBucket(1, 1, 0);

function checkClientId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > 0xffffffff) {
    throw new ParleyError('invalid_argument', `client id ${id} is not 1 .. 2^32-1`);
  }
}
