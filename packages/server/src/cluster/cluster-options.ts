import type { OptionKind, OptionSpec } from '../config/options.js';

/** The settings of the scale-out mode (`--redis`) in {@link ServerConfig} (docs/scale-out.md). */
export interface ClusterConfig {
  /**
   * The realtime connections of an instance that stops without a goodbye (a crash, SIGKILL, a
   * network partition from Redis) go offline for everyone within this time.
   */
  clusterPresenceTtlMs: number;
  /** Every Redis key and channel of the cluster starts with this (several clusters on one Redis). */
  clusterKeyPrefix: string;
  /**
   * How often an instance reads the stream position from PostgreSQL even when no notice came
   * through Redis (a notice lost while Redis reconnected is caught up within this time).
   */
  clusterCatchUpIntervalMs: number;
}

const int = (min: number, max: number): OptionKind => ({ type: 'int', min, max });

/** The rows of the settings table for the scale-out mode (appended to `OPTIONS`). */
export const CLUSTER_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'clusterPresenceTtlMs',
    env: 'PARLEY_CLUSTER_PRESENCE_TTL_MS',
    kind: int(400, 600_000),
    default: 15_000,
  },
  { key: 'clusterKeyPrefix', env: 'PARLEY_CLUSTER_KEY_PREFIX', kind: { type: 'string' }, default: 'parley:' },
  {
    key: 'clusterCatchUpIntervalMs',
    env: 'PARLEY_CLUSTER_CATCH_UP_INTERVAL_MS',
    kind: int(50, 600_000),
    default: 1000,
  },
];
