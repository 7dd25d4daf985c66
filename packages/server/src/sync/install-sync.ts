import type { Clock, Random, Timers } from '@parley/core';
import { nodeTimers } from '@parley/transport-node';
import { Gauge, Histogram } from 'prom-client';
import type { Fanout } from '../cluster/fanout.js';
import type { ParleyServer } from '../server.js';
import { syncSettings } from './sync-config.js';
import { addSyncRoutes } from './sync-routes.js';
import { SyncService } from './sync-service.js';

/** Test seams of {@link installSync}. */
export interface InstallSyncOptions {
  clock: Clock;
  random: Random;
  timers?: Timers;
  /** Where events and other instances' typing and to-device news come from (default: this process). */
  fanout?: Fanout;
}

const services = new WeakMap<ParleyServer, SyncService>();

/** The sync service installed on `server`, if any (for tests and benchmarks). */
export function syncServiceOf(server: ParleyServer): SyncService | undefined {
  return services.get(server);
}

/**
 * Adds sync v3 to a server: rebuilds the sync indexes from storage, then registers `POST /sync`,
 * the typing and `sendToDevice` routes, metrics, and the shutdown hook that answers every
 * long-poll. Settings come from the server's `sync*`, `typing*` and `toDevice*` options. Events
 * stored during the rebuild are applied after it; the routes exist once it resolves.
 */
export async function installSync(server: ParleyServer, options: InstallSyncOptions): Promise<SyncService> {
  const { clock, random, timers = nodeTimers, fanout } = options;
  const { config, storage, logger, rooms } = server;
  const settings = syncSettings(config);
  const sync = await SyncService.start({
    storage,
    rooms,
    clock,
    random,
    timers,
    logger,
    settings,
    ...(fanout === undefined ? {} : { fanout }),
  });
  fanout?.onTyping((n) => {
    sync.applyRemoteTyping(n).catch((err: unknown) => logger.error({ err }, 'sync: remote typing failed'));
  });
  fanout?.onToDevice((n) => {
    sync.applyToDevice(n).catch((err: unknown) => logger.error({ err }, 'sync: remote to-device failed'));
  });
  const registers = [server.metrics.registry];
  new Gauge({
    name: 'parley_sync_sessions',
    help: 'Live sync v3 sessions',
    registers,
    collect() {
      this.set(sync.engine.sessionCount);
    },
  });
  new Gauge({
    name: 'parley_sync_waiting',
    help: 'Sync v3 requests waiting in a long-poll',
    registers,
    collect() {
      this.set(sync.engine.waitingCount);
    },
  });
  const serverTime = new Histogram({
    name: 'parley_sync_server_seconds',
    help: 'Server time of sync requests until answered or parked in a long-poll, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers,
  });
  sync.onTiming((t) => serverTime.observe({ outcome: t.kind }, t.ms / 1000));
  addSyncRoutes({
    sync,
    storage,
    serverName: server.serverName,
    toDeviceMaxMessages: settings.toDeviceMaxMessages,
    route: server.route,
  });
  server.onClose(() => sync.close());
  services.set(server, sync);
  return sync;
}
