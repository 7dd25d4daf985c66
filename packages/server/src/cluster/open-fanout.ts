import type { Clock, Random } from '@parley/core';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { ServerConfig } from '../config/options.js';
import { ConfigError } from '../config/resolve-config.js';
import type { RoomService } from '../rooms/room-service.js';
import { PostgresStorage } from '../storage/postgres/postgres-storage.js';
import type { Storage } from '../storage/storage.js';
import { type Fanout, LocalFanout } from './fanout.js';
import { RedisFanout } from './redis-fanout.js';

/**
 * Refuses settings the scale-out mode cannot run with: `redis` needs a PostgreSQL `database`
 * (the instances share their data there; SQLite is one process's file).
 */
export function checkClusterConfig(config: ServerConfig): void {
  if (config.redis === undefined) return;
  if (config.database === undefined || !/^postgres(ql)?:\/\//.test(config.database)) {
    throw new ConfigError(
      '--redis needs a PostgreSQL --database (postgres://…): the instances share their data there',
    );
  }
}

/** What {@link openFanout} needs. */
export interface OpenFanoutOptions {
  config: ServerConfig;
  storage: Storage;
  rooms: RoomService;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Where the cluster metrics go. */
  registry: Registry;
  onFatal: (err: Error) => void;
}

/**
 * The fan-out the configuration asks for: {@link LocalFanout} for one process, a
 * {@link RedisFanout} with `redis` (which joins the cluster: a slot, subscriptions). Adds the
 * metrics `parley_cluster_instances` and `parley_cluster_remote_connections` in that mode.
 */
export async function openFanout(o: OpenFanoutOptions): Promise<Fanout> {
  const { config } = o;
  if (config.redis === undefined) return new LocalFanout(o.rooms);
  if (!(o.storage instanceof PostgresStorage)) {
    throw new ConfigError('--redis needs a PostgreSQL --database (postgres://…)');
  }
  const fanout = await RedisFanout.start({
    url: config.redis,
    keyPrefix: config.clusterKeyPrefix,
    presenceTtlMs: config.clusterPresenceTtlMs,
    catchUpIntervalMs: config.clusterCatchUpIntervalMs,
    pool: o.storage.pool,
    rooms: o.rooms,
    clock: o.clock,
    random: o.random,
    logger: o.logger,
    onFatal: o.onFatal,
  });
  const registers = [o.registry];
  new Gauge({
    name: 'parley_cluster_instances',
    help: 'Server instances this one knows to hold realtime connections, itself included',
    registers,
    collect() {
      this.set(fanout.stats().instances);
    },
  });
  new Gauge({
    name: 'parley_cluster_remote_connections',
    help: 'Realtime connections held by the other instances, as this one knows them',
    registers,
    collect() {
      this.set(fanout.stats().remoteConnections);
    },
  });
  return fanout;
}
