import type { Clock, Random, SigningKey } from '@parley/core';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/options.js';
import type { RequestContext } from '../http/handler.js';
import { serverNameOf } from '../rooms/ids.js';
import type { ParleyServer } from '../server.js';
import type { Storage, StoredEvent } from '../storage/storage.js';
import { EventSink } from './event-sink.js';
import { FederationClient } from './federation-client.js';
import { FederationMetrics } from './federation-metrics.js';
import { FetchDriver } from './fetch-driver.js';
import { HistoryFiller } from './history-filler.js';
import { KeyRing } from './keys/key-ring.js';
import { makeServerKeyDocument } from './keys/server-key-document.js';
import { KnownEvents } from './known-events.js';
import { OutboundQueues } from './outbound-queue.js';
import { joinRemoteRoom } from './remote-join.js';
import { authenticateFederation, type FederationRequester } from './request-auth.js';
import { RoomCache } from './room-cache.js';
import { addJoinRoutes } from './routes/join-routes.js';
import { addReadRoutes } from './routes/read-routes.js';
import { addSendRoute } from './routes/send-route.js';

/** Test seams of {@link installFederation}. */
export interface InstallFederationOptions {
  clock: Clock;
  random: Random;
}

// Keys of other servers are kept at most this long, whatever their `valid_until_ts` says.
const KEY_MAX_AGE_MS = 24 * 60 * 60_000;

/**
 * The federation of one server: keys, the signed HTTP client, the read, send and join endpoints,
 * the fetch scheduler driver, the event sink and the outgoing transaction queues.
 */
export class Federation {
  readonly server: ParleyServer;
  readonly serverName: string;
  readonly key: SigningKey;
  readonly config: Readonly<ServerConfig>;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly keys: KeyRing;
  readonly client: FederationClient;
  readonly known: KnownEvents;
  readonly roomCache: RoomCache;
  readonly sink: EventSink;
  readonly driver: FetchDriver;
  readonly outbound: OutboundQueues;
  readonly history: HistoryFiller;
  readonly metrics: FederationMetrics;
  // Outgoing events are sent in the order they were stored: their destinations are looked up in turn.
  #outChain: Promise<void> = Promise.resolve();
  readonly #announced = new WeakSet<StoredEvent>();
  readonly #joins = new Map<string, Promise<unknown>>();

  constructor(server: ParleyServer, options: InstallFederationOptions) {
    const { config, storage, logger } = server;
    this.server = server;
    this.serverName = server.serverName;
    this.key = server.signingKey;
    this.config = config;
    this.storage = storage;
    this.clock = options.clock;
    this.random = options.random;
    this.logger = logger.child({ module: 'federation' });
    const timeoutMs = config.federationRequestTimeoutMs;
    const maxResponseBytes = config.federationMaxResponseBytes;
    this.keys = new KeyRing({
      serverName: this.serverName,
      key: this.key,
      clock: this.clock,
      maxServers: config.federationKeyCacheSize,
      retryMs: config.federationKeyRetryMs,
      maxAgeMs: KEY_MAX_AGE_MS,
      timeoutMs,
      maxResponseBytes,
    });
    this.client = new FederationClient({
      serverName: this.serverName,
      key: this.key,
      timeoutMs,
      maxResponseBytes,
    });
    this.known = new KnownEvents(config.federationKnownEventsCache);
    this.roomCache = new RoomCache(storage);
    this.sink = new EventSink({
      storage,
      known: this.known,
      rooms: this.roomCache,
      clock: this.clock,
      logger: this.logger,
      announce: (e) => {
        this.#announced.add(e);
        server.rooms.announceStored(e);
      },
    });
    this.driver = new FetchDriver({
      serverName: this.serverName,
      clock: this.clock,
      random: this.random,
      client: this.client,
      keys: this.keys,
      known: this.known,
      rooms: this.roomCache,
      sink: this.sink,
      logger: this.logger,
      waitWindowMs: config.federationFetchWaitMs,
      attemptTimeoutMs: config.federationFetchTimeoutMs,
      gapWalkLimit: config.federationGapWalkLimit,
    });
    this.outbound = new OutboundQueues({
      serverName: this.serverName,
      client: this.client,
      clock: this.clock,
      random: this.random,
      logger: this.logger,
      maxPdus: config.federationQueueMaxPdus,
      retryInitialMs: config.federationRetryInitialMs,
      retryMaxMs: config.federationRetryMaxMs,
    });
    this.history = new HistoryFiller(this);
    this.metrics = new FederationMetrics(this);
  }

  /** Checks a federation request's X-Matrix signature (see {@link authenticateFederation}). */
  async authenticate(ctx: RequestContext, options: { body: boolean }): Promise<FederationRequester> {
    const r = await authenticateFederation(ctx, { serverName: this.serverName, keys: this.keys }, options);
    this.outbound.wake(r.origin);
    return r;
  }

  /** Runs a remote join of `roomId`, so that {@link joinInProgress} can wait for it. */
  trackJoin<T>(roomId: string, join: Promise<T>): Promise<T> {
    const settled = join.then(
      () => undefined,
      () => undefined,
    );
    this.#joins.set(roomId, settled);
    void settled.then(() => {
      if (this.#joins.get(roomId) === settled) this.#joins.delete(roomId);
    });
    return join;
  }

  /** Resolves when a remote join of `roomId` running now has finished (at once when none is). */
  joinInProgress(roomId: string): Promise<unknown> | undefined {
    return this.#joins.get(roomId);
  }

  /** Called for every stored event: ours go to the other servers of the room. */
  onEventStored(e: StoredEvent): void {
    this.known.add(e.eventId);
    if (this.#announced.has(e)) return;
    if (serverNameOf(e.event.sender) !== this.serverName) return;
    const roomId = e.event.room_id;
    this.#outChain = this.#outChain
      .then(async () => {
        await this.roomCache.refresh(roomId);
        const servers = new Set(this.roomCache.servers(roomId).map((s) => s.name));
        // A member event also reaches its target's server (a kick or ban of its user).
        if (e.event.type === 'm.room.member' && typeof e.event.state_key === 'string') {
          servers.add(serverNameOf(e.event.state_key));
        }
        servers.delete(this.serverName);
        this.outbound.enqueue(servers, e.event);
      })
      .catch((err: unknown) => this.logger.error({ err, eventId: e.eventId }, 'federation: fan-out failed'));
  }

  async close(): Promise<void> {
    this.outbound.close();
    await this.driver.close();
  }
}

/**
 * Adds federation to a server: `/_matrix/key/v2/server`, the `/_matrix/federation/*` endpoints,
 * outgoing transactions for every event our users create, joins of rooms on other servers, and
 * backfill for `/messages`. Settings come from the server's `federation*` options.
 */
export function installFederation(server: ParleyServer, options: InstallFederationOptions): Federation {
  const fed = new Federation(server, options);
  server.route('GET', '/_matrix/key/v2/server', async () => ({
    body: makeServerKeyDocument(
      fed.serverName,
      fed.key,
      fed.clock.now() + fed.config.federationKeyValidityMs,
    ),
  }));
  server.route('GET', '/_matrix/federation/v1/version', async () => ({
    body: { server: { name: 'Parley', version: '0' } },
  }));
  addReadRoutes(fed);
  addSendRoute(fed);
  addJoinRoutes(fed);
  server.rooms.onEventStored((e) => fed.onEventStored(e));
  server.rooms.setFederationHooks({
    joinRemote: (roomId, userId, via) => joinRemoteRoom(fed, roomId, userId, via),
    fillHistory: (roomId, limit) => fed.history.fill(roomId, limit),
  });
  server.onClose(() => fed.close());
  return fed;
}
