// Sync v3 in the server: the engine of core over storage and in-memory indexes, typing and
// to-device routes. Protocol reference: docs/sync.md.
export { type InstallSyncOptions, installSync, syncServiceOf } from './install-sync.js';
export { DEFAULT_MINOR_BITS, SyncPositions, type SyncPositionsOptions } from './positions.js';
export { StorageSyncSource } from './storage-sync-source.js';
export { type SyncSettings, syncSettings, TO_DEVICE_TXN_RETENTION_MS } from './sync-config.js';
export { type AppliedEvent, INDEXED_STATE_TYPES, NO_HANDLE, SyncIndexes } from './sync-indexes.js';
export { addSyncRoutes, type SyncRoutesDeps } from './sync-routes.js';
export { SyncService, type SyncServiceDeps, type SyncTiming } from './sync-service.js';
export { SyncTimer } from './sync-timer.js';
export { expandAddressees, parseToDeviceBody, type ToDeviceAddressee } from './to-device-request.js';
export { TypingTable } from './typing-table.js';
