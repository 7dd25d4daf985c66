import { type Clock, type Random, RealtimeRouter, type Timers } from '@parley/core';
import { nodeTimers } from '@parley/transport-node';
import { Counter, Gauge } from 'prom-client';
import { type Fanout, LocalFanout } from '../cluster/fanout.js';
import type { ParleyServer } from '../server.js';
import { DeviceLogouts } from './device-logouts.js';
import { MembershipFeed } from './membership-feed.js';
import {
  REALTIME_CLOSE_WAIT_MS,
  REALTIME_LOGGED_OUT_REASON,
  REALTIME_PATH,
  realtimeSettings,
} from './realtime-config.js';
import { realtimeUpgradeHandler } from './realtime-endpoint.js';
import { RealtimeHub } from './realtime-hub.js';
import { addRealtimeRoutes } from './realtime-routes.js';
import { RealtimeTickets } from './realtime-tickets.js';

/** The realtime channel of a running server. */
export interface RealtimeService {
  readonly hub: RealtimeHub;
  readonly feed: MembershipFeed;
  readonly tickets: RealtimeTickets;
}

/** Test seams of {@link installRealtime}. */
export interface InstallRealtimeOptions {
  clock: Clock;
  random: Random;
  timers?: Timers;
  /** Other server instances' connections and changes (default: this process alone). */
  fanout?: Fanout;
}

/**
 * Adds the realtime channel to a server: the ticket and contact routes, the WebSocket endpoint
 * `GET /_parley/v1/realtime`, the membership feed from stored events, metrics, closing a device's
 * connections (1008 "logged out") and unused tickets when it logs out, and closing every realtime
 * connection (1001) at shutdown. Settings come from the server's `realtime*` options.
 */
export function installRealtime(server: ParleyServer, options: InstallRealtimeOptions): RealtimeService {
  const { clock, random, timers = nodeTimers } = options;
  const { config, storage, logger } = server;
  const fanout = options.fanout ?? new LocalFanout(server.rooms);
  const settings = realtimeSettings(config);
  const router = new RealtimeRouter({ ...settings.router, ...fanout.routerOptions });
  const registers = [server.metrics.registry];
  const tooSlow = new Counter({
    name: 'parley_realtime_too_slow_total',
    help: 'Realtime connections closed because they did not read fast enough',
    registers,
  });
  const hub = new RealtimeHub({
    router,
    maxBufferedBytes: settings.maxBufferedBytes,
    clock,
    timers,
    logger,
    onTooSlow: () => tooSlow.inc(),
    publishCluster: (e) => fanout.publishRealtime(e),
  });
  fanout.attachRealtime({ router, flush: () => hub.flush() });
  new Gauge({
    name: 'parley_realtime_connections',
    help: 'Open realtime connections',
    registers,
    collect() {
      this.set(router.connectionCount);
    },
  });
  const feed = new MembershipFeed({ storage, router, logger, flush: () => hub.flush() });
  fanout.onEvent((e) => feed.onEvent(e));
  fanout.onContact((n) => {
    feed
      .contactChanged(n.userId, n.contactId)
      .catch((err: unknown) => logger.error({ err }, 'realtime: could not apply a contact change'));
  });
  const tickets = new RealtimeTickets(storage, clock, random);
  const logouts = new DeviceLogouts();
  server.onDeviceLoggedOut(async (userId, deviceId) => {
    try {
      // Tickets first: an upgrade that took one before they were deleted began its check before
      // the logout is recorded below, so it is either refused or already in the hub.
      await tickets.revokeDevice(userId, deviceId);
    } finally {
      logouts.record(userId, deviceId);
      hub.closeDevice(userId, deviceId, REALTIME_LOGGED_OUT_REASON);
      fanout.publishLogout({ userId, deviceId });
    }
  });
  // The device's connections on the other instances (its tickets are gone from the database).
  fanout.onLogout(({ userId, deviceId }) => {
    logouts.record(userId, deviceId);
    hub.closeDevice(userId, deviceId, REALTIME_LOGGED_OUT_REASON);
  });
  addRealtimeRoutes({
    storage,
    serverName: server.serverName,
    clock,
    tickets,
    feed,
    maxContactsPerUser: settings.maxContactsPerUser,
    route: server.route,
    onContactChanged: (userId, contactId) => fanout.publishContact({ userId, contactId }),
  });
  server.onUpgrade(
    REALTIME_PATH,
    realtimeUpgradeHandler({
      storage,
      tickets,
      feed,
      hub,
      logouts,
      logger,
      maxMessageBytes: router.options.maxMessageBytes,
      maxBufferedBytes: settings.maxBufferedBytes,
    }),
  );
  // Clients get a moment to answer the close; then their sockets are cut, within the shutdown time.
  server.onClose(() => hub.close(Math.min(config.shutdownTimeoutMs, REALTIME_CLOSE_WAIT_MS)));
  return { hub, feed, tickets };
}
