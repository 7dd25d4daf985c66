import type { RealtimeRouterOptions } from '@parley/core';
import type { ServerConfig } from '../config/options.js';

/** A realtime ticket is valid this long after it is issued (DESIGN.md: 30 s). */
export const REALTIME_TICKET_TTL_MS = 30_000;

/** Unexpired tickets one user may hold; one more is answered `429 M_LIMIT_EXCEEDED`. */
export const MAX_REALTIME_TICKETS_PER_USER = 32;

/** At shutdown, how long clients get to answer the close (1001) before their sockets are cut. */
export const REALTIME_CLOSE_WAIT_MS = 2_000;

/** The close reason (with 1008) of the connections of a device that logged out. */
export const REALTIME_LOGGED_OUT_REASON = 'logged out';

/** The path of the realtime WebSocket endpoint. */
export const REALTIME_PATH = '/_parley/v1/realtime';

/** The settings of the realtime channel, taken from the server configuration. */
export interface RealtimeSettings {
  router: Partial<RealtimeRouterOptions>;
  /** Unsent bytes a connection may hold before it is closed as too slow. */
  maxBufferedBytes: number;
  maxContactsPerUser: number;
}

/** Maps the `realtime*` settings of {@link ServerConfig} onto the router's options. */
export function realtimeSettings(c: ServerConfig): RealtimeSettings {
  return {
    router: {
      maxConnections: c.realtimeMaxConnections,
      maxConnectionsPerUser: c.realtimeMaxConnectionsPerUser,
      commandsPerSecond: c.realtimeCommandsPerSecond,
      commandBurst: c.realtimeCommandBurst,
      maxRtmsgBytes: c.realtimeMaxRtmsgBytes,
      maxMessageBytes: c.realtimeMaxMessageBytes,
      inCallTimeoutMs: c.realtimeInCallTimeoutMs,
      helloTimeoutMs: c.realtimeHelloTimeoutMs,
      clientTimeoutMs: c.realtimeClientTimeoutMs,
    },
    maxBufferedBytes: c.realtimeMaxBufferedBytes,
    maxContactsPerUser: c.maxContactsPerUser,
  };
}
