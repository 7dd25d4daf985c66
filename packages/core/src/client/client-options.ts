import type { Clock, Random, Store, Timers } from '../io.js';
import type { ApiRetryOptions } from './api-request.js';
import type { HttpFunction } from './http.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import type { WebSocketFactory } from './websocket-like.js';

/** Bounds on what the client keeps; every one has a default. */
export interface ParleyClientLimits {
  /** Confirmed events held in memory per room. Default 500. */
  maxTimelineEvents: number;
  /** Unsent messages kept in the outbox. Default 1000. */
  maxOutbox: number;
  /** Rooms kept in the persisted cache. Default 200. */
  cacheRooms: number;
  /** Events per room kept in the persisted cache. Default 50. */
  cacheEvents: number;
  /** Outcomes of sent messages remembered for late `whenSent` calls. Default 1000. */
  sentMemory: number;
}

/** Sync v3 parameters of the client. */
export interface ParleyClientSyncOptions {
  /** Long-poll timeout sent as `timeout`. Default 30 s. */
  timeoutMs?: number;
  /** `room.timeline_limit` for the open room. Default 30. */
  timelineLimit?: number;
  /** `room_list.p.limit`. Default 50. */
  roomListLimit?: number;
  /** `room_members.p.limit`. Default 100. */
  membersLimit?: number;
  /** `to_device.limit`. Default 100. */
  toDeviceLimit?: number;
  /**
   * Store key of the sync session (its `since` and sticky parameters). Two clients sharing a
   * store at once (browser tabs) need different keys, or their long-polls cut each other short.
   * Keys must start with `sync/` (logout removes them all). Default `sync/session`.
   */
  sessionKey?: string;
}

/** Realtime channel parameters of the client. */
export interface ParleyClientRealtimeOptions {
  /** Set false for a client that needs no realtime channel (e.g. a bot that only syncs). Default true. */
  enabled?: boolean;
  /** The presence the user chose (1..127; 0 = invisible), sent at HELLO. Default 2. */
  presence?: number;
  /** The lower presence the idle timer sets (with the MSB). Default 1. */
  idlePresence?: number;
  /** Inactivity before the idle presence applies. Default 5 minutes. */
  idleAfterMs?: number;
}

/** Everything a `ParleyClient` is built from: IO, where, and limits. */
export interface ParleyClientOptions {
  /** The server, e.g. `https://chat.example.org` (no trailing slash needed). */
  baseUrl: string;
  http: HttpFunction;
  webSocket: WebSocketFactory;
  clock: Clock;
  timers: Timers;
  random: Random;
  /** Where session, sync position, outbox and cache live. Default: in memory (nothing survives). */
  store?: Store;
  /** When the realtime channel and the sync loop retry after a failure. Default: exponential backoff, full jitter. */
  reconnectPolicy?: ReconnectPolicy;
  /** A connection must stay up this long before its loss resets the backoff (flap guard). Default 10 s. */
  stableAfterMs?: number;
  retry?: ApiRetryOptions;
  sync?: ParleyClientSyncOptions;
  realtime?: ParleyClientRealtimeOptions;
  limits?: Partial<ParleyClientLimits>;
}

/** The defaults of {@link ParleyClientLimits}. */
export const DEFAULT_CLIENT_LIMITS: ParleyClientLimits = {
  maxTimelineEvents: 500,
  maxOutbox: 1000,
  cacheRooms: 200,
  cacheEvents: 50,
  sentMemory: 1000,
};
