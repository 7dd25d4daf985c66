import type { ParleyError } from '../errors.js';
import { MemoryStore, type Store } from '../io.js';
import type { ApiContext } from './api-request.js';
import { ClientApi } from './client-api.js';
import { ClientConnection, type ClientConnectionOptions } from './client-connection.js';
import {
  DEFAULT_CLIENT_LIMITS,
  type ParleyClientLimits,
  type ParleyClientOptions,
} from './client-options.js';
import { ContactList } from './contact-list.js';
import { ExponentialBackoffPolicy } from './reconnect-policy.js';
import { RoomActions } from './room-actions.js';
import { RoomCache } from './room-cache.js';
import { RoomList } from './room-list.js';
import { SendQueue } from './send-queue.js';
import { SessionKeeper } from './session-keeper.js';

/** The pieces a `ParleyClient` is made of. */
export interface ClientParts {
  options: ParleyClientOptions;
  store: Store;
  session: SessionKeeper;
  api: ClientApi;
  rooms: RoomList;
  contacts: ContactList;
  cache: RoomCache;
  roomActions: RoomActions;
  send: SendQueue;
  conn: ClientConnection;
}

/** Builds and wires the pieces of a client; `on` receives what the facade must react to. */
export function buildClientParts(
  given: ParleyClientOptions,
  emit: ClientConnectionOptions['emit'],
  on: { unauthorized: (e: ParleyError) => void; state: () => void },
): ClientParts {
  const options = { ...given, baseUrl: given.baseUrl.replace(/\/+$/, '') };
  const store = given.store ?? new MemoryStore();
  const session = new SessionKeeper(store);
  const limits: ParleyClientLimits = { ...DEFAULT_CLIENT_LIMITS, ...given.limits };
  const policy = given.reconnectPolicy ?? new ExponentialBackoffPolicy({ random: given.random });
  const { clock, timers, random } = given;
  const apiContext: ApiContext = {
    ...{ http: given.http, baseUrl: options.baseUrl, timers, random, retry: given.retry },
    accessToken: () => session.credentials?.accessToken,
  };
  const api = new ClientApi(apiContext);
  const rooms = new RoomList(limits.maxTimelineEvents);
  const cache = new RoomCache({
    ...{ store, timers },
    ...{ maxRooms: limits.cacheRooms, maxEvents: limits.cacheEvents },
  });
  const send = new SendQueue({
    ...{ api, store, rooms, clock, timers, random, emit },
    ...{ retryPolicy: policy, maxOutbox: limits.maxOutbox, sentMemory: limits.sentMemory },
    userId: () => session.credentials?.userId,
  });
  const conn = new ClientConnection({
    ...{ options, apiContext, api, store, policy, rooms, cache, emit },
    onAnswered: () => send.kick(),
    onUnauthorized: on.unauthorized,
    onState: on.state,
  });
  const contacts = new ContactList(store, rooms);
  const roomActions = new RoomActions(api, rooms, emit);
  return { options, store, session, api, rooms, contacts, cache, roomActions, send, conn };
}
