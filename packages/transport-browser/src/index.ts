/**
 * `@parley/transport-browser`: the browser adapters for Parley's core.
 *
 * @packageDocumentation
 */
export { browserHttp } from './http.js';
export { IdbStore, type IdbStoreOptions } from './idb-store.js';
export { browserClock, browserRandom, browserTimers } from './platform.js';
export { browserWebSocketFactory } from './websocket.js';
