import { ParleyError } from '../errors.js';
import type { Store } from '../io.js';
import { SyncSession } from '../sync/sync-session.js';
import type { ApiContext } from './api-request.js';
import type { ClientApi } from './client-api.js';
import type { ConnectionState, ParleyClientEvents } from './client-events.js';
import type { ParleyClientOptions } from './client-options.js';
import { ClientRealtime } from './client-realtime.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import type { RoomCache } from './room-cache.js';
import type { RoomList } from './room-list.js';
import { SyncBinding } from './sync-binding.js';
import { SyncDriver } from './sync-driver.js';

const SYNC_PREFIX = 'sync/';

/** What to send in a realtime message; omit `userId` (and `clientId`) to reach the whole room. */
export interface RealtimeSendParams {
  roomId: string;
  /** One member of the room: all their connections, or one with `clientId`. */
  userId?: string;
  clientId?: number;
  /** 0..255, the app's own message kind. */
  msgtype: number;
  data: Uint8Array;
}

/** What {@link ClientConnection} is built from. */
export interface ClientConnectionOptions {
  options: ParleyClientOptions;
  apiContext: ApiContext;
  api: ClientApi;
  store: Store;
  policy: ReconnectPolicy;
  rooms: RoomList;
  cache: RoomCache;
  emit: <K extends keyof ParleyClientEvents>(event: K, ...args: Parameters<ParleyClientEvents[K]>) => void;
  /** A sync request succeeded: the server is reachable. */
  onAnswered: () => void;
  onUnauthorized: (e: ParleyError) => void;
  onState: () => void;
}

/**
 * The client's two channels to the server: the sync loop (a `SyncSession` driven by a
 * {@link SyncDriver}, bound to the room list by a {@link SyncBinding}) and the realtime channel
 * ({@link ClientRealtime}).
 */
export class ClientConnection {
  readonly #c: ClientConnectionOptions;
  session: SyncSession | undefined;
  driver: SyncDriver | undefined;
  binding: SyncBinding | undefined;
  /** The realtime channel (own, or relayed through the leader tab). */
  readonly realtime: ClientRealtime;

  constructor(options: ClientConnectionOptions) {
    this.#c = options;
    this.realtime = new ClientRealtime({
      options: options.options,
      api: options.api,
      policy: options.policy,
      rooms: options.rooms,
      emit: options.emit,
      onState: options.onState,
      onUnauthorized: options.onUnauthorized,
    });
  }

  /** Opens the sync session from the store and starts both channels. */
  async start(signal: AbortSignal | undefined): Promise<void> {
    if (this.driver) return;
    const o = this.#c.options;
    const s = o.sync ?? {};
    this.session ??= await SyncSession.open({
      api: this.#c.apiContext,
      store: this.#c.store,
      storeKey: s.sessionKey ?? `${SYNC_PREFIX}session`,
      timeoutMs: s.timeoutMs ?? 30_000,
      reconnect: this.#c.policy,
      clock: o.clock,
    });
    const driver = new SyncDriver({
      source: this.session,
      clock: o.clock,
      timers: o.timers,
      policy: this.#c.policy,
      timeoutMs: s.timeoutMs ?? 30_000,
      hooks: {
        answered: this.#c.onAnswered,
        state: this.#c.onState,
        unauthorized: this.#c.onUnauthorized,
        warning: (e) => this.#c.emit('warning', e),
      },
    });
    this.driver = driver;
    this.binding = new SyncBinding({
      session: this.session,
      driver,
      rooms: this.#c.rooms,
      cache: this.#c.cache,
      emit: this.#c.emit,
      sync: {
        timeoutMs: s.timeoutMs ?? 30_000,
        timelineLimit: s.timelineLimit ?? 30,
        roomListLimit: s.roomListLimit ?? 50,
        membersLimit: s.membersLimit ?? 100,
        toDeviceLimit: s.toDeviceLimit ?? 100,
        sessionKey: s.sessionKey ?? `${SYNC_PREFIX}session`,
      },
    });
    this.binding.subscribeDefaults();
    driver.start();
    this.realtime.start();
    // Not awaited: start() must not wait for the network (the app shows cached data meanwhile).
    // A failed first page is retried by the session's restart logic and the sync loop.
    this.binding.firstPage(signal).catch((e: ParleyError) => {
      if (e.code !== 'aborted') this.#c.emit('warning', e);
    });
  }

  /** Stops both channels; the sync position and the realtime state stay for the next start. */
  async stop(): Promise<void> {
    const driver = this.driver;
    this.driver = undefined;
    this.binding?.dispose();
    this.binding = undefined;
    this.realtime.stop();
    await driver?.stop();
    this.#c.onState();
  }

  /** Forgets every sync session in the store and the realtime state (logout, or another user logging in). */
  async forget(): Promise<void> {
    await this.stop();
    this.session = undefined;
    this.realtime.forget();
    for (const key of await this.#c.store.keys(SYNC_PREFIX)) await this.#c.store.delete(key);
  }

  /** The overall state from both channels. */
  state(): ConnectionState {
    const sync = this.driver?.state ?? 'stopped';
    const rt = this.realtime.state;
    if (sync === 'stopped' && (rt === undefined || rt === 'stopped')) return 'offline';
    if (sync === 'open' && (rt === undefined || rt === 'open')) return 'online';
    return 'connecting';
  }

  /** Sends a realtime message to a room, one member, or one connection of a member. */
  sendRealtime(params: RealtimeSendParams): void {
    const rooms = this.#c.rooms;
    const room = rooms.roomHandleOf(params.roomId);
    const user = params.userId === undefined ? undefined : rooms.userHandleOf(params.userId);
    if (params.userId !== undefined && user === undefined) {
      throw new ParleyError('unknown_user', `No realtime handle known for ${params.userId}`);
    }
    const { clientId: client, msgtype, data } = params;
    this.realtime.act({ kind: 'rtmsg', room, user, client, msgtype, data }, true);
  }

  /** Joins or leaves the call of a room (remembered across reconnects). */
  setInCall(roomId: string, inCall: boolean): void {
    this.realtime.act({ kind: 'call', room: this.#c.rooms.roomHandleOf(roomId), inCall }, false);
  }
}
