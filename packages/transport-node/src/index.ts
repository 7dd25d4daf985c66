/**
 * `@parley/transport-node`: the Node adapters for Parley's core.
 *
 * @packageDocumentation
 */
export { FileStore, type FileStoreOptions } from './file-store.js';
export { nodeHttp } from './http.js';
export { nodeClock, nodeRandom, nodeTimers } from './platform.js';
export { type NodeWebSocketOptions, nodeWebSocketFactory } from './websocket.js';
