/**
 * The server side of the realtime channel, sans-IO: the server hands in connections, their binary
 * messages, membership and contact changes and the time; it takes out what to send and what to
 * close with {@link RealtimeRouter.poll}, and when to call back with
 * {@link RealtimeRouter.pollTimeout}. No timers, no sockets.
 *
 * @packageDocumentation
 */

import { ParleyError } from '../errors.js';
import { ClientIds } from './client-ids.js';
import type { ClientCommand, ClientHello } from './commands.js';
import { DeadlineHeap } from './deadline-heap.js';
import { decodeClientCommands, realtimeOpName } from './decode.js';
import { encodeRejectFast, encodeServerCommand } from './encode.js';
import { assertHandleHex, type HandleHex, handleToBytes, ZERO_HANDLE } from './handle.js';
import { InCallWatch } from './in-call-watch.js';
import {
  KEEPALIVE_SIZE,
  OP_HELLO,
  OP_IN_CALL,
  OP_KEEPALIVE,
  OP_RTMSG,
  OP_SETPRES,
  RealtimeCloseCode,
  RejectCode,
} from './opcodes.js';
import { Outbox, type RealtimeRouterOutput } from './outbox.js';
import { applySetPres, initialPresence } from './presence.js';
import { type RealtimeClusterEvent, RealtimeRouterCluster } from './router-cluster.js';
import { RouterGraph } from './router-graph.js';
import { type RealtimeRouterOptions, resolveRouterOptions } from './router-options.js';
import type { RouterConn, RouterRoom, RouterTimer, RouterUser } from './router-state.js';
import { routeRtmsg } from './rtmsg-routing.js';
import { TokenBucket } from './token-bucket.js';

const KEEPALIVE_REPLY = new Uint8Array(KEEPALIVE_SIZE); // OP_KEEPALIVE is opcode 0

/** What the router knows of one connection (see {@link RealtimeRouter.connection}). */
export interface RealtimeConnectionInfo {
  user: HandleHex;
  /** 0 until the connection has sent `OP_HELLO`. */
  clientId: number;
  clientVersion: number;
  /** This connection's own presence value and whether its idle timer set it. */
  presence: number;
  idle: boolean;
}

/**
 * Routes the realtime channel for one server: client ids, RTMSG addressing, `OP_REJECT`, presence
 * merge and visibility, the in-call flag, limits. Connection ids are the server's own numbers.
 * Methods that take handles throw `ParleyError` `invalid_argument` on a malformed handle (a bug in
 * the caller); nothing a client sends can make the router throw.
 */
export class RealtimeRouter {
  readonly options: Readonly<RealtimeRouterOptions>;
  readonly #outbox = new Outbox();
  readonly #graph = new RouterGraph(this.#outbox);
  readonly #timers = new DeadlineHeap<RouterTimer>();
  readonly #calls: InCallWatch;
  readonly #conns = new Map<number, RouterConn>();
  readonly #clientIds: ClientIds<RouterConn>;
  /**
   * The other server instances' connections and what they need to hear of this one's (cluster
   * mode, option `cluster`; see `router-cluster.ts`).
   */
  readonly cluster: RealtimeRouterCluster;
  #now = Number.NEGATIVE_INFINITY;

  constructor(options: Partial<RealtimeRouterOptions> = {}) {
    this.options = resolveRouterOptions(options);
    const o = this.options;
    this.#clientIds = new ClientIds(o.firstClientId, o.clientIdMax, o.clientIdMin);
    this.#calls = new InCallWatch(this.#graph, this.#timers, o.inCallTimeoutMs);
    this.cluster = new RealtimeRouterCluster(
      this.#graph,
      this.#outbox,
      this.#clientIds,
      this.#calls,
      o.cluster,
    );
  }

  // Time only moves forward inside the router, so a clock step backwards cannot reorder timers.
  #clock(now: number): number {
    if (now > this.#now) this.#now = now;
    return this.#now;
  }

  /**
   * A WebSocket for `user` was accepted as connection `connId`. Returns false (and queues a close
   * with 1008) when a connection limit is reached. The connection must send `OP_HELLO` first.
   */
  connect(connId: number, user: HandleHex, now: number): boolean {
    now = this.#clock(now);
    assertHandleHex(user, 'user');
    if (user === ZERO_HANDLE) throw new ParleyError('invalid_argument', 'user must not be the zero handle');
    if (this.#conns.has(connId)) throw new ParleyError('invalid_argument', `connection ${connId} exists`);
    const u = this.#graph.users.get(user);
    const o = this.options;
    const over =
      this.#conns.size >= o.maxConnections
        ? `server is full (${o.maxConnections} connections)`
        : u !== undefined && u.conns.size >= o.maxConnectionsPerUser
          ? `too many connections for this user (limit ${o.maxConnectionsPerUser})`
          : null;
    if (over !== null) {
      this.#outbox.close(connId, RealtimeCloseCode.POLICY_VIOLATION, over);
      return false;
    }
    const owner = this.#graph.user(user);
    const conn: RouterConn = {
      id: connId,
      user: owner,
      clientId: 0,
      clientVersion: 0,
      live: false,
      closed: false,
      lastSeen: now,
      bucket: new TokenBucket(o.commandsPerSecond, o.commandBurst, now),
      callRooms: new Set(),
      value: 0,
      idle: false,
    };
    this.#conns.set(connId, conn);
    owner.conns.add(conn);
    this.#timers.push({ kind: 'hello', at: now + o.helloTimeoutMs, conn });
    if (o.clientTimeoutMs > 0) this.#timers.push({ kind: 'silence', at: now + o.clientTimeoutMs, conn });
    return true;
  }

  /** One binary WebSocket message from connection `connId`. Unknown connection ids are ignored. */
  handleMessage(connId: number, bytes: Uint8Array, now: number): void {
    now = this.#clock(now);
    const conn = this.#conns.get(connId);
    if (conn === undefined) return;
    conn.lastSeen = now;
    if (bytes.length > this.options.maxMessageBytes) {
      const reason = `message of ${bytes.length} bytes; the limit is ${this.options.maxMessageBytes}`;
      this.#close(conn, RealtimeCloseCode.MESSAGE_TOO_BIG, reason);
      return;
    }
    const decoded = decodeClientCommands(bytes);
    if (!decoded.ok) {
      this.#close(conn, RealtimeCloseCode.PROTOCOL_ERROR, decoded.error.closeReason);
      return;
    }
    for (const cmd of decoded.commands) {
      if (conn.closed) return;
      this.#dispatch(conn, cmd, now);
    }
  }

  /** The connection's socket is gone (closed by either side). Idempotent. */
  disconnect(connId: number, now: number): void {
    this.#clock(now);
    this.#outbox.discard(connId);
    const conn = this.#conns.get(connId);
    if (conn !== undefined) this.#remove(conn);
  }

  /** Closes a connection for a reason of the server's own (e.g. logout): queues the close, drops its state. */
  closeConnection(connId: number, code: number, reason: string, now: number): void {
    this.#clock(now);
    const conn = this.#conns.get(connId);
    if (conn !== undefined) this.#close(conn, code, reason);
  }

  /** The next output, or `undefined` when there is nothing to send. Call until `undefined`. */
  poll(): RealtimeRouterOutput | undefined {
    return this.#outbox.poll();
  }

  /**
   * The next event for the other server instances (cluster mode), or `undefined`. Call until
   * `undefined` whenever you drain {@link poll}; their order is the order to publish them in.
   */
  pollCluster(): RealtimeClusterEvent | undefined {
    return this.cluster.take();
  }

  /** When {@link handleTimeout} should next be called, or `undefined` when no timer is pending. */
  pollTimeout(): number | undefined {
    return this.#timers.peek()?.at;
  }

  /** Fires every timer due at `now`: HELLO and silence timeouts, in-call heartbeats. */
  handleTimeout(now: number): void {
    now = this.#clock(now);
    for (let t = this.#timers.peek(); t !== undefined && t.at <= now; t = this.#timers.peek()) {
      this.#timers.pop();
      if (t.kind === 'call') {
        this.#calls.onTimer(t, now);
        continue;
      }
      const conn = t.conn;
      if (conn.closed) continue;
      if (t.kind === 'hello') {
        if (!conn.live) {
          this.#close(
            conn,
            RealtimeCloseCode.POLICY_VIOLATION,
            `no OP_HELLO within ${this.options.helloTimeoutMs} ms`,
          );
        }
        continue;
      }
      const due = conn.lastSeen + this.options.clientTimeoutMs;
      if (due > now) {
        t.at = due;
        this.#timers.push(t);
      } else {
        this.#close(
          conn,
          RealtimeCloseCode.POLICY_VIOLATION,
          `nothing received for ${this.options.clientTimeoutMs} ms`,
        );
      }
    }
  }

  /** Sets the full member list of `room` (joins the new members, removes the missing ones). */
  setRoomMembers(room: HandleHex, users: Iterable<HandleHex>): void {
    const handle = this.#roomHandle(room);
    const wanted = new Set<HandleHex>();
    for (const u of users) wanted.add(this.#userHandle(u));
    const r = this.#graph.room(handle);
    // Leaves first, so that a user replaced by another never sees a spurious presence.
    for (const m of [...r.members]) if (!wanted.has(m.handle)) this.#leave(m, r);
    for (const u of wanted) this.#graph.join(this.#graph.user(u), r);
    this.#graph.forgetRoomIfUnused(r);
  }

  /** `user` joined `room`. */
  joinRoom(user: HandleHex, room: HandleHex): void {
    this.#graph.join(this.#graph.user(this.#userHandle(user)), this.#graph.room(this.#roomHandle(room)));
  }

  /** `user` left, was kicked from or banned from `room`: it stops receiving the room's traffic at once. */
  leaveRoom(user: HandleHex, room: HandleHex): void {
    const u = this.#graph.users.get(this.#userHandle(user));
    const r = this.#graph.rooms.get(this.#roomHandle(room));
    if (u === undefined || r === undefined) return;
    this.#leave(u, r);
    this.#graph.forgetRoomIfUnused(r);
  }

  /** Sets the users `user` has added as contacts (presence needs both sides to have added each other). */
  setContacts(user: HandleHex, contacts: Iterable<HandleHex>): void {
    const u = this.#graph.user(this.#userHandle(user));
    const wanted = new Set<HandleHex>();
    for (const c of contacts) wanted.add(this.#userHandle(c));
    for (const c of [...u.contacts]) if (!wanted.has(c)) this.#graph.removeContact(u, c);
    for (const c of wanted) this.#graph.addContact(u, c);
    this.#graph.forgetIfUnused(u);
  }

  /** `user` added `contact`. */
  addContact(user: HandleHex, contact: HandleHex): void {
    this.#graph.addContact(this.#graph.user(this.#userHandle(user)), this.#userHandle(contact));
  }

  /** `user` removed `contact`. */
  removeContact(user: HandleHex, contact: HandleHex): void {
    const u = this.#graph.users.get(this.#userHandle(user));
    if (u === undefined) return;
    this.#graph.removeContact(u, this.#userHandle(contact));
    this.#graph.forgetIfUnused(u);
  }

  /** What the router knows of connection `connId`, or `undefined`. */
  connection(connId: number): RealtimeConnectionInfo | undefined {
    const c = this.#conns.get(connId);
    if (c === undefined) return undefined;
    const { clientId, clientVersion, value, idle } = c;
    return { user: c.user.handle, clientId, clientVersion, presence: value, idle };
  }

  /** The merged presence of `user` as last sent (0 when offline or invisible). */
  presenceOf(user: HandleHex): number {
    return this.#graph.users.get(user)?.presence ?? 0;
  }

  /** The in-call flag of `room`. */
  inCallFlag(room: HandleHex): boolean {
    return this.#graph.rooms.get(room)?.flag === 1;
  }

  /** The users in `room`'s call right now. */
  inCallUsers(room: HandleHex): HandleHex[] {
    const r = this.#graph.rooms.get(room);
    return r === undefined ? [] : [...r.callUsers.keys()].map((u) => u.handle);
  }

  /** Open connections (live or waiting for `OP_HELLO`). */
  get connectionCount(): number {
    return this.#conns.size;
  }

  #leave(u: RouterUser, r: RouterRoom): void {
    this.#graph.leave(u, r, (who, room) => this.#calls.leaveUser(who, room));
    this.#graph.forgetIfUnused(u);
  }

  #userHandle(h: HandleHex): HandleHex {
    assertHandleHex(h, 'user');
    if (h === ZERO_HANDLE) throw new ParleyError('invalid_argument', 'user must not be the zero handle');
    return h;
  }

  #roomHandle(h: HandleHex): HandleHex {
    assertHandleHex(h, 'room');
    if (h === ZERO_HANDLE) throw new ParleyError('invalid_argument', 'room must not be the zero handle');
    return h;
  }

  #close(conn: RouterConn, code: number, reason: string): void {
    this.#outbox.close(conn.id, code, reason);
    this.#remove(conn);
  }

  #remove(conn: RouterConn): void {
    if (conn.closed) return;
    conn.closed = true;
    this.#conns.delete(conn.id);
    const u = conn.user;
    u.conns.delete(conn);
    // Out of every audience before the news its leaving causes (flag, presence) goes out.
    const wasLive = conn.live;
    if (wasLive) {
      this.#clientIds.release(conn.clientId);
      u.live.delete(conn);
      this.cluster.reportGone(conn);
    }
    this.#calls.leaveAll(conn);
    if (wasLive) this.#graph.updatePresence(u);
    this.#graph.forgetIfUnused(u);
  }

  #dispatch(conn: RouterConn, cmd: ClientCommand, now: number): void {
    if (!conn.live) {
      if (cmd.op === OP_HELLO) this.#hello(conn, cmd);
      else this.#close(conn, RealtimeCloseCode.PROTOCOL_ERROR, `${realtimeOpName(cmd.op)} before OP_HELLO`);
      return;
    }
    if (cmd.op === OP_HELLO) {
      this.#close(conn, RealtimeCloseCode.PROTOCOL_ERROR, 'second OP_HELLO on one connection');
      return;
    }
    if (!conn.bucket.take(now)) {
      if (conn.bucket.debt > this.options.commandBurst) {
        this.#close(conn, RealtimeCloseCode.POLICY_VIOLATION, 'kept sending over the command rate limit');
      } else {
        const room = cmd.op === OP_RTMSG || cmd.op === OP_IN_CALL ? cmd.room : null;
        this.#reject(conn, cmd.op, room, RejectCode.RATE_LIMITED);
      }
      return;
    }
    switch (cmd.op) {
      case OP_KEEPALIVE:
        this.#outbox.push(conn.id, KEEPALIVE_REPLY);
        return;
      case OP_SETPRES:
        if (applySetPres(conn, cmd.presence)) {
          this.cluster.reportConn(conn);
          this.#graph.updatePresence(conn.user);
        }
        return;
      case OP_IN_CALL: {
        const r = this.#graph.rooms.get(cmd.room);
        if (r === undefined || !r.members.has(conn.user)) {
          this.#reject(conn, cmd.op, cmd.room, RejectCode.NOT_IN_ROOM);
        } else {
          if (cmd.status === 1) this.#calls.beat(conn, r, now);
          else this.#calls.leave(conn, r);
          this.cluster.reportInCall(conn, r.handle, cmd.status);
        }
        return;
      }
      case OP_RTMSG: {
        const code = routeRtmsg(
          this.#graph,
          this.#outbox,
          this.#clientIds,
          conn,
          cmd,
          this.options.maxRtmsgBytes,
          this.cluster,
        );
        if (code !== 0) this.#reject(conn, OP_RTMSG, cmd.room, code);
        return;
      }
    }
  }

  #hello(conn: RouterConn, cmd: ClientHello): void {
    conn.live = true;
    conn.clientVersion = cmd.clientVersion;
    conn.clientId = this.#clientIds.allocate(conn);
    const p = initialPresence(cmd.presence);
    conn.value = p.value;
    conn.idle = p.idle;
    conn.user.live.add(conn);
    this.cluster.reportConn(conn);
    this.#outbox.push(conn.id, encodeServerCommand({ op: OP_HELLO, clientId: conn.clientId }));
    // Others hear the change now; this connection hears its own presence last in its login dump.
    this.#graph.updatePresence(conn.user, conn);
    this.#graph.loginDump(conn);
  }

  #reject(conn: RouterConn, op: number, room: HandleHex | null, code: number): void {
    this.#outbox.push(conn.id, encodeRejectFast(op, room === null ? null : handleToBytes(room), code));
  }
}
