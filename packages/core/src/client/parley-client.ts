import { EventEmitter } from 'eventemitter3';
import { ParleyError, throwIfAborted } from '../errors.js';
import type { CreatedRoom, CreateRoomOptions, Credentials, ToDeviceMessages } from './api-types.js';
import type { CallOptions, ClientApi } from './client-api.js';
import type { ClientConnection, ClientConnectionOptions, RealtimeSendParams } from './client-connection.js';
import type { ConnectionState, ParleyClientEvents } from './client-events.js';
import type { ParleyClientOptions } from './client-options.js';
import { buildClientParts, type ClientParts } from './client-parts.js';
import { loadOlder } from './history.js';
import type { OutboxEntry } from './outbox.js';
import type { Room } from './room.js';
import type { TabHooks } from './tab-share.js';
import type { TimelineItem } from './timeline.js';
import { newTxnId } from './txn-id.js';

/**
 * The Parley SDK: one object per logged-in device, the same in browsers and Node (the transport
 * packages build it with real IO). It logs in, keeps the room list, members and timelines in
 * sync, sends messages through a persisted outbox with local echo, and runs the realtime channel
 * (RTMSG, presence, in-call flags). State is readable at any time; changes come as typed events.
 */
export class ParleyClient extends EventEmitter<ParleyClientEvents> {
  /** The typed client API, for calls the facade does not wrap. */
  readonly api: ClientApi;
  readonly #o: ClientParts['options'];
  readonly #rooms: ClientParts['rooms'];
  readonly #cache: ClientParts['cache'];
  readonly #send: ClientParts['send'];
  readonly #contacts: ClientParts['contacts'];
  readonly #roomActions: ClientParts['roomActions'];
  readonly #conn: ClientConnection;
  readonly #session: ClientParts['session'];
  #started = false;
  #connection: ConnectionState = 'offline';

  constructor(options: ParleyClientOptions) {
    super();
    const emit = this.emit.bind(this) as ClientConnectionOptions['emit'];
    const parts = buildClientParts(options, emit, {
      unauthorized: (e) => void this.#sessionEnded(e),
      state: () => this.#updateConnection(),
    });
    this.#o = parts.options;
    this.#session = parts.session;
    this.api = parts.api;
    this.#rooms = parts.rooms;
    this.#contacts = parts.contacts;
    this.#cache = parts.cache;
    this.#roomActions = parts.roomActions;
    this.#send = parts.send;
    this.#conn = parts.conn;
  }

  /** The logged-in device, or `undefined`. */
  get credentials(): Credentials | undefined {
    return this.#session.credentials;
  }

  get userId(): string | undefined {
    return this.#session.credentials?.userId;
  }

  /** `online`, `connecting` or `offline`. */
  get connection(): ConnectionState {
    return this.#connection;
  }

  /** Joined rooms and invitations, most recent activity first. */
  get rooms(): readonly Room[] {
    return this.#rooms.sorted();
  }

  room(roomId: string): Room | undefined {
    return this.#rooms.rooms.get(roomId);
  }

  /** The room whose timeline, members and typing are being synced (see {@link openRoom}). */
  get openRoomId(): string | undefined {
    return this.#conn.binding?.openRoom;
  }

  /** This connection's realtime client id (0 when not connected). */
  get clientId(): number {
    return this.#conn.realtime.clientId;
  }

  /** The user's own merged presence as the server last said (0 before the first `OP_PRES`). */
  get ownPresence(): number {
    return this.#conn.realtime.ownPresence;
  }

  /**
   * A user's presence as last seen (0: offline, invisible, not visible to us, or unknown); for
   * this user, {@link ownPresence}.
   */
  presenceOf(userId: string): number {
    if (userId === this.userId) return this.ownPresence;
    const handle = this.#rooms.userHandleOf(userId);
    return handle === undefined ? 0 : this.#conn.realtime.presence.get(handle);
  }

  /** Messages not yet acknowledged by the server (including failed ones), in sending order. */
  get pending(): readonly OutboxEntry[] {
    return this.#send.outbox.entries;
  }

  /**
   * Restores what the store holds (session, cached rooms and timelines, unsent messages) and,
   * when a session is there, connects. Resolves with whether a user is logged in. Cached rooms
   * are readable as soon as this resolves, before the first sync answer.
   */
  async start(options: CallOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    if (!this.#started) {
      this.#started = true;
      const creds = await this.#session.restore();
      await this.#cache.load(this.#rooms);
      await this.#send.restore();
      await this.#contacts.load();
      if (creds) {
        this.#rooms.setUserHandle(creds.userId, creds.userHandle);
        this.emit('session', creds);
      }
      if (this.#rooms.rooms.size > 0) this.emit('rooms', this.#rooms.sorted());
    }
    if (this.#session.credentials) await this.#connect(options.signal);
    return this.#session.credentials !== undefined;
  }

  /** Creates an account, logs in and connects. */
  async register(
    params: { username: string; password: string; deviceId?: string },
    options: CallOptions = {},
  ) {
    return this.#loggedIn(await this.api.register(params, options), options.signal);
  }

  /**
   * Logs in with a password and connects. Logging in again as the same user reuses the device,
   * so messages left in the outbox by an ended session are still sent exactly once.
   */
  async login(params: { user: string; password: string; deviceId?: string }, options: CallOptions = {}) {
    const deviceId = params.deviceId ?? (await this.#session.deviceFor(params.user));
    return this.#loggedIn(await this.api.login({ ...params, deviceId }, options), options.signal);
  }

  /** Logs out on the server and forgets everything stored for this user (including unsent messages). */
  async logout(options: CallOptions = {}): Promise<void> {
    await this.#conn.stop();
    this.#send.stop();
    try {
      if (this.#session.credentials) await this.api.logout(options);
    } catch (e) {
      // The token is gone locally either way; a server that cannot be reached forgets it later.
      if ((e as ParleyError).code === 'aborted') throw e;
      this.emit('warning', e as ParleyError);
    }
    await this.#forgetUser();
  }

  /**
   * Hooks for sharing one realtime connection and one login between the tabs of a browser
   * (`TabShare`); not for apps.
   *
   * @internal
   */
  tabHooks(): TabHooks {
    return {
      realtime: this.#conn.realtime,
      adoptStoredSession: async () => {
        if (this.#session.credentials || !(await this.#session.restore())) return;
        const creds = this.#session.credentials as unknown as Credentials;
        this.#rooms.setUserHandle(creds.userId, creds.userHandle);
        this.emit('session', creds);
        await this.#connect(undefined);
      },
      dropSession: async () => {
        if (!this.#session.credentials) return;
        await this.#conn.stop();
        this.#send.stop();
        await this.#forgetUser();
      },
    };
  }

  /**
   * Retries now instead of waiting out the reconnect backoff; transports call it when the
   * platform reports the network is back (the browser's `online` event).
   */
  reconnectNow(): void {
    this.#conn.driver?.wake();
    this.#conn.realtime.link?.reconnectNow();
    this.#send.kick();
  }

  /** Disconnects (sync, realtime, sending) without logging out; {@link start} resumes. */
  async stop(): Promise<void> {
    await this.#conn.stop();
    this.#send.stop();
    await this.#cache.flush();
    this.#updateConnection();
  }

  /** Creates a room (it appears in {@link rooms} at once). */
  createRoom(params: CreateRoomOptions = {}, options: CallOptions = {}): Promise<CreatedRoom> {
    return this.#roomActions.create(params, options);
  }

  /** Joins a room; `serverName` names a server to join a remote room through. */
  joinRoom(roomId: string, params: { serverName?: string } = {}, options: CallOptions = {}): Promise<string> {
    return this.#roomActions.join(roomId, params, options);
  }

  invite(roomId: string, userId: string, options: CallOptions = {}): Promise<void> {
    return this.api.invite(roomId, userId, options);
  }

  leaveRoom(roomId: string, options: CallOptions = {}): Promise<void> {
    return this.#roomActions.leave(roomId, options);
  }

  /** Syncs this room's timeline, members and typing (one open room at a time). */
  async openRoom(roomId: string, options: CallOptions = {}): Promise<Room> {
    throwIfAborted(options.signal);
    const room = this.#rooms.ensure(roomId);
    await this.#conn.binding?.open(roomId, options.signal);
    return room;
  }

  /** Fetches the next page of the room list (the first page comes by itself); false when there is none. */
  async loadMoreRooms(options: CallOptions = {}): Promise<boolean> {
    return (await this.#conn.binding?.moreRooms(options.signal)) ?? false;
  }

  /** Loads older events of a room (history paging); resolves with them, oldest first. */
  async loadOlder(roomId: string, options: CallOptions & { limit?: number } = {}): Promise<TimelineItem[]> {
    const room = this.#rooms.ensure(roomId);
    const older = await loadOlder(this.api, room, options.limit ?? 30, options.signal);
    if (older.length > 0) this.emit('history', room, older);
    return older;
  }

  /**
   * Sends a room event. It is stored in the outbox before anything goes out, shown as a local
   * echo at once, and sent (now, or when the connection is back, even after a reload) with one
   * txnId, so the server keeps it exactly once. Resolves with the echo; see {@link whenSent}.
   */
  send(
    roomId: string,
    content: Record<string, unknown>,
    options: CallOptions & { type?: string } = {},
  ): Promise<TimelineItem> {
    if (!this.#session.credentials)
      return Promise.reject(ParleyError.matrix('M_MISSING_TOKEN', 'Not logged in', 401));
    return this.#send.send(roomId, options.type ?? 'm.room.message', content, options.signal);
  }

  /** Sends an `m.text` message. */
  sendText(roomId: string, body: string, options: CallOptions = {}): Promise<TimelineItem> {
    return this.send(roomId, { msgtype: 'm.text', body }, options);
  }

  /** Resolves with the event id once the server has the message `txnId`; rejects if it failed. */
  whenSent(txnId: string, options: CallOptions = {}): Promise<string> {
    return this.#send.whenSent(txnId, options.signal);
  }

  /** Sends a failed message again with its original txnId. */
  retrySend(txnId: string): Promise<void> {
    return this.#send.retry(txnId);
  }

  /** Drops a message that has not been sent. */
  cancelSend(txnId: string): Promise<void> {
    return this.#send.cancel(txnId);
  }

  /** Tells the room this user is (or stopped) typing; the server clears it after `timeoutMs`. */
  setTyping(
    roomId: string,
    typing: boolean,
    options: CallOptions & { timeoutMs?: number } = {},
  ): Promise<void> {
    const userId = this.#requireUser();
    return this.api.setTyping(roomId, userId, typing, options.timeoutMs ?? 30_000, options);
  }

  /** Sends to-device messages (`{userId: {deviceId | "*": content}}`); resolves when the server has them. */
  async sendToDevice(type: string, messages: ToDeviceMessages, options: CallOptions = {}): Promise<void> {
    await this.api.sendToDevice(type, newTxnId(this.#o.clock, this.#o.random), messages, options);
  }

  /** Adds a contact; presence is visible once both users added each other. */
  addContact(userId: string, options: CallOptions = {}): Promise<void> {
    return this.#contacts.add(this.api, userId, options);
  }

  removeContact(userId: string, options: CallOptions = {}): Promise<void> {
    return this.#contacts.remove(this.api, userId, options);
  }

  /** Contacts this client added (user id to realtime handle, when known). */
  get contacts(): ReadonlyMap<string, string | undefined> {
    return this.#contacts.entries;
  }

  /** Sends a realtime message to a room, one member, or one connection of a member. */
  sendRealtime(params: RealtimeSendParams): void {
    this.#conn.sendRealtime(params);
  }

  /** Joins the call in a room: heartbeats keep the in-call flag up until {@link leaveCall}, across reconnects. */
  joinCall(roomId: string): void {
    this.#conn.setInCall(roomId, true);
  }

  leaveCall(roomId: string): void {
    this.#conn.setInCall(roomId, false);
  }

  /** The presence the user chose (1..127, 0 = invisible). The shown value comes back as `ownPresence`. */
  setPresence(presence: number): void {
    this.#conn.realtime.act({ kind: 'presence', presence }, false);
  }

  /** The user did something (input, focus): restarts the idle timer and restores presence if it was lowered. */
  activity(): void {
    this.#conn.realtime.act({ kind: 'activity' }, false);
  }

  async #loggedIn(creds: Credentials, signal: AbortSignal | undefined): Promise<Credentials> {
    const last = await this.#session.lastUser();
    await this.#conn.stop();
    if (last !== undefined && last !== creds.userId) await this.#wipe();
    await this.#session.save(creds);
    this.#rooms.setUserHandle(creds.userId, creds.userHandle);
    this.#started = true;
    this.emit('session', creds);
    await this.#connect(signal);
    return creds;
  }

  async #connect(signal: AbortSignal | undefined): Promise<void> {
    await this.#conn.start(signal);
    this.#send.start();
    this.#updateConnection();
    this.#contacts.refresh(this.api).catch((e: ParleyError) => this.emit('warning', e));
  }

  async #sessionEnded(error: ParleyError): Promise<void> {
    await this.#conn.stop();
    this.#send.stop();
    await this.#session.end();
    this.#updateConnection();
    this.emit('sessionEnded', error);
    this.emit('session', undefined);
  }

  async #forgetUser(): Promise<void> {
    await this.#wipe();
    await this.#session.forget();
    this.#updateConnection();
    this.emit('session', undefined);
  }

  /** Forgets the user's data: cache, outbox, sync position, contacts, presence. */
  async #wipe(): Promise<void> {
    await this.#cache.clear();
    for (const entry of [...this.#send.outbox.entries]) await this.#send.cancel(entry.txnId);
    await this.#conn.forget();
    await this.#session.end();
    await this.#contacts.clear();
    this.#rooms.clear();
  }

  #updateConnection(): void {
    const next = this.#session.credentials ? this.#conn.state() : 'offline';
    if (next === this.#connection) return;
    this.#connection = next;
    this.emit('connection', next);
  }

  #requireUser(): string {
    const id = this.#session.credentials?.userId;
    if (!id) throw ParleyError.matrix('M_MISSING_TOKEN', 'Not logged in', 401);
    return id;
  }
}
