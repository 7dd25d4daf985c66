/**
 * Sync v3 (docs/sync.md): the server-side session engine over a data source, the sorted indexes
 * a server keeps for it, and the client's `SyncSession`.
 *
 * @packageDocumentation
 */
export type { SyncComputeResult, SyncStreamStates } from './compute.js';
export type {
  SyncChanges,
  SyncChangesQuery,
  SyncCursor,
  SyncDataSource,
  SyncDeltaCursor,
  SyncMembership,
  SyncPage,
  SyncPageQuery,
  SyncTimeline,
  SyncToDeviceMessage,
  SyncTypingState,
} from './data-source.js';
export { SyncEngine, type SyncEngineOptions, type SyncEngineRequest, type SyncOutcome } from './engine.js';
export { DEFAULT_SYNC_LIMITS, type SyncLimits } from './limits.js';
export { SyncLoopback, type SyncLoopbackOptions, type SyncLoopbackUser } from './loopback.js';
export { MemberListIndex, type MemberRecord } from './member-list-index.js';
export { MemorySyncDataSource } from './memory-data-source.js';
export type { SyncPagedStream, SyncStickyParams } from './params.js';
export { foldName, RoomListIndex } from './room-list-index.js';
export { SnapshotList, type SyncKeyShape } from './snapshot-list.js';
export { compareTuples, SortedIndex, type SortedIndexComparator } from './sorted-index.js';
export type { SyncStreamParams, SyncWantedParams } from './sticky-diff.js';
export {
  SyncSession,
  type SyncSessionEvents,
  type SyncSessionOptions,
  type SyncSessionState,
} from './sync-session.js';
export { unknownSyncSession } from './tokens.js';
export {
  SYNC_MEMBER_SORTS,
  SYNC_ROOM_SORTS,
  SYNC_STREAMS,
  type SyncEvent,
  type SyncInviteSummary,
  type SyncMemberEntry,
  type SyncMemberSort,
  type SyncPageParams,
  type SyncPageResult,
  type SyncRequestBody,
  type SyncResponseBody,
  type SyncRoomListEntry,
  type SyncRoomListResult,
  type SyncRoomMembersResult,
  type SyncRoomResult,
  type SyncRoomSort,
  type SyncRoomSummary,
  type SyncStreamName,
  type SyncToDeviceResult,
  type SyncTypingResult,
} from './types.js';
export type { SyncChange } from './wait-set.js';
