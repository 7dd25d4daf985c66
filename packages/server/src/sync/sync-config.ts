import type { SyncLimits } from '@parley/core';
import type { ServerConfig } from '../config/options.js';

/** Transaction ids of to-device sends are remembered this long (retries within it are deduplicated). */
export const TO_DEVICE_TXN_RETENTION_MS = 24 * 60 * 60_000;

/** The settings of sync v3 in the server, taken from the server configuration. */
export interface SyncSettings {
  /** The engine's bounds (docs/sync.md). */
  limits: Partial<SyncLimits>;
  /** The longest a typing notice lasts; also the default when a client gives no `timeout`. */
  typingMaxTimeoutMs: number;
  /** Messages one `sendToDevice` may hold, after `"*"` is expanded. */
  toDeviceMaxMessages: number;
  /** Undeleted to-device messages one device may hold; a send past it gets 429. */
  toDeviceMaxQueued: number;
}

/** Maps the `sync*`, `typing*` and `toDevice*` settings of {@link ServerConfig}. */
export function syncSettings(c: ServerConfig): SyncSettings {
  return {
    limits: {
      sessionIdleMs: c.syncSessionIdleMs,
      sessionsPerDevice: c.syncSessionsPerDevice,
      sessionsTotal: c.syncSessionsTotal,
      maxTimeoutMs: c.syncMaxTimeoutMs,
      maxPageLimit: c.syncMaxPageLimit,
    },
    typingMaxTimeoutMs: c.typingMaxTimeoutMs,
    toDeviceMaxMessages: c.toDeviceMaxMessages,
    toDeviceMaxQueued: c.toDeviceMaxQueued,
  };
}
