// Public surface of core/src/client: the ParleyClient SDK facade and what it is built from.
export { isRetryable, parleyErrorFromResponse, parleyErrorFromThrown } from './api-error.js';
export { type ApiCall, type ApiContext, type ApiRetryOptions, apiRequest } from './api-request.js';
export type {
  CreatedRoom,
  CreateRoomOptions,
  Credentials,
  MatrixEvent,
  MessagesPage,
  RealtimeTicket,
  ToDeviceMessage,
  ToDeviceMessages,
} from './api-types.js';
export { type CallOptions, ClientApi } from './client-api.js';
export type { RealtimeSendParams } from './client-connection.js';
export type {
  ChannelState,
  ConnectionState,
  ParleyClientEvents,
  RealtimeMessage,
  RealtimeRejection,
} from './client-events.js';
export {
  DEFAULT_CLIENT_LIMITS,
  type ParleyClientLimits,
  type ParleyClientOptions,
  type ParleyClientRealtimeOptions,
  type ParleyClientSyncOptions,
} from './client-options.js';
export { ClientRealtime, type RealtimeRelay } from './client-realtime.js';
export {
  createFetchHttp,
  type FetchHttpOptions,
  type FetchLike,
  type FetchResponseLike,
} from './fetch-http.js';
export type { HttpFunction, HttpMethod, HttpRequest, HttpResponse } from './http.js';
export { Outbox, type OutboxEntry, type OutboxOptions } from './outbox.js';
export { OutboxSender, type OutboxSenderOptions } from './outbox-sender.js';
export { ParleyClient } from './parley-client.js';
export { applyRealtimeAction, type RealtimeAction } from './realtime-actions.js';
export {
  type ExponentialBackoffOptions,
  ExponentialBackoffPolicy,
  fullJitter,
  type ReconnectContext,
  type ReconnectPolicy,
} from './reconnect-policy.js';
export { ReconnectTracker, type ReconnectTrackerOptions } from './reconnect-tracker.js';
export { Room, type RoomMember, type RoomSummary } from './room.js';
export { RoomCache, type RoomCacheOptions } from './room-cache.js';
export { RoomList, type RoomListChanges } from './room-list.js';
export type { SyncNews, SyncNewsEvent, SyncNewsRoom } from './sync-news.js';
export {
  type LeaderElection,
  type TabChannel,
  type TabHooks,
  type TabMessage,
  TabShare,
  type TabShareOptions,
} from './tab-share.js';
export { itemFromEvent, Timeline, type TimelineItem, type TimelineItemStatus } from './timeline.js';
export { newTxnId } from './txn-id.js';
export {
  type WebSocketCloseEventLike,
  type WebSocketFactory,
  type WebSocketLike,
  type WebSocketMessageEventLike,
  WS_CLOSED,
  WS_CLOSING,
  WS_CONNECTING,
  WS_OPEN,
} from './websocket-like.js';
