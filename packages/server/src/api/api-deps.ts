import type { Clock, Random } from '@parley/core';
import type { ServerConfig } from '../config/options.js';
import type { TokenBucketLimiter } from '../http/token-bucket.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { RoomService } from '../rooms/room-service.js';
import type { Storage } from '../storage/storage.js';

/** What the client API handlers work with. */
export interface ApiDeps {
  config: ServerConfig;
  serverName: string;
  storage: Storage;
  rooms: RoomService;
  metrics: ServerMetrics;
  clock: Clock;
  random: Random;
  /** Login and registration attempts, keyed by `ip:<address>` and `user:<user id>`. */
  loginLimiter: TokenBucketLimiter;
  /** Runs the server's device-logout hooks (see `ParleyServer.onDeviceLoggedOut`); never rejects. */
  deviceLoggedOut(userId: string, deviceId: string): Promise<void>;
}
