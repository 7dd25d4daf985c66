/**
 * `@parley/server`: the Parley backend. {@link startServer} runs a server in-process (the
 * `parley serve` command is a thin wrapper around it).
 *
 * @packageDocumentation
 */
export type { ApiDeps } from './api/api-deps.js';
export { hashAccessToken, newAccessToken } from './auth/access-tokens.js';
export { accessTokenOf, authenticate, type Requester } from './auth/authenticator.js';
export { hashPassword, verifyPassword } from './auth/passwords.js';
export {
  defaultConfig,
  type LogLevel,
  OPTIONS,
  type OptionKind,
  type OptionSpec,
  type ServerConfig,
} from './config/options.js';
export {
  ConfigError,
  type ConfigSources,
  type ResolvedConfig,
  resolveConfig,
} from './config/resolve-config.js';
export {
  authenticateFederation,
  DEFAULT_FEDERATION_PORT,
  EventSink,
  FEDERATION_MAX_BODY_BYTES,
  FEDERATION_OPTIONS,
  Federation,
  FederationClient,
  type FederationClientOptions,
  type FederationConfig,
  type FederationRequester,
  type FederationRequestInit,
  FetchDriver,
  federationBaseUrl,
  fetchJson,
  type HttpJsonResult,
  type InstallFederationOptions,
  installFederation,
  isServerName,
  joinRemoteRoom,
  KeyRing,
  makeServerKeyDocument,
  OutboundQueues,
  parseXMatrix,
  type ServerKeyDocument,
  type SignedRequest,
  signXMatrix,
  TXN_MAX_PDUS,
  verifyServerKeyDocument,
  verifyXMatrix,
  type XMatrixAuth,
} from './federation/index.js';
export type { Handler, HandlerResult, RequestContext } from './http/handler.js';
export { matrixError, STATUS_OF_ERRCODE, toErrorAnswer } from './http/matrix-errors.js';
export { DRAIN_BYTES, type ReadJsonOptions, readBody, readJsonObject } from './http/read-body.js';
export { type RouteMatch, Router } from './http/router.js';
export { type TakeResult, TokenBucketLimiter, type TokenBucketOptions } from './http/token-bucket.js';
export type { UpgradeHandler } from './http/upgrade-registry.js';
export { loadOrCreateSigningKey, SIGNING_KEY_FILE } from './keys/signing-key-file.js';
export { ServerMetrics } from './observability/metrics.js';
export {
  addRealtimeRoutes,
  DeviceLogouts,
  type InstallRealtimeOptions,
  type IssuedTicket,
  installRealtime,
  MAX_REALTIME_TICKETS_PER_USER,
  MembershipFeed,
  type MembershipFeedDeps,
  REALTIME_LOGGED_OUT_REASON,
  REALTIME_PATH,
  REALTIME_TICKET_TTL_MS,
  type RealtimeEndpointDeps,
  RealtimeHub,
  type RealtimeHubDeps,
  type RealtimePeer,
  type RealtimeRoutesDeps,
  type RealtimeService,
  type RealtimeSettings,
  RealtimeTickets,
  realtimeSettings,
  realtimeUpgradeHandler,
  type UpgradeCheck,
} from './realtime/index.js';
export {
  type ClientEvent,
  type ClientEventUnsigned,
  type EventReader,
  toClientEvent,
  withTransactionIds,
} from './rooms/client-event.js';
export { newHandle, newRoomId } from './rooms/ids.js';
export { ROOM_PRESETS, type RoomPreset } from './rooms/initial-events.js';
export {
  type CreateRoomOptions,
  ROOM_VERSION,
  RoomService,
  type RoomServiceDeps,
  type StoredEventListener,
} from './rooms/room-service.js';
export { type MessagesRequest, type MessagesResponse, readMessages } from './rooms/room-timeline.js';
export { decodeStreamToken, encodeStreamToken } from './rooms/stream-token.js';
export {
  type DeviceLoggedOutHook,
  type ParleyServer,
  type StartServerOptions,
  startServer,
} from './server.js';
export { isAppendConflict, PREV_EVENTS_STALE, TXN_EXISTS } from './storage/append-conflict.js';
export { openStorage, redactDatabaseUrl, type StorageConfig } from './storage/open-storage.js';
export type { PostgresOptions } from './storage/postgres/pg-pool.js';
export { PostgresStorage } from './storage/postgres/postgres-storage.js';
export type * from './storage/realtime-storage.js';
export { type SqliteOptions, SqliteStorage } from './storage/sqlite/sqlite-storage.js';
export type * from './storage/storage.js';
export type * from './storage/sync-storage.js';
export {
  type InstallSyncOptions,
  installSync,
  StorageSyncSource,
  SyncIndexes,
  SyncPositions,
  SyncService,
  type SyncServiceDeps,
  type SyncSettings,
  type SyncTiming,
  syncServiceOf,
  syncSettings,
  TypingTable,
} from './sync/index.js';
export * from './websocket/index.js';
