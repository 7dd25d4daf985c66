/**
 * `@parley/transport-node`: the Parley client for Node (`createClient`) and the Node adapters
 * it is built from.
 *
 * @packageDocumentation
 */
export { createClient, type NodeClientOptions } from './create-client.js';
export { FileStore, type FileStoreOptions } from './file-store.js';
export { nodeHttp } from './http.js';
export { nodeClock, nodeRandom, nodeTimers } from './platform.js';
export { type NodeWebSocketOptions, nodeWebSocketFactory } from './websocket.js';
