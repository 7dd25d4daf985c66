/**
 * `@parley/transport-browser`: the Parley client for browsers (`createClient`) and the browser
 * adapters it is built from.
 *
 * @packageDocumentation
 */
export { type BrowserClientOptions, createClient } from './create-client.js';
export { browserHttp } from './http.js';
export { IdbStore, type IdbStoreOptions } from './idb-store.js';
export { browserClock, browserRandom, browserTimers } from './platform.js';
export { type ShareTabsOptions, shareTabs } from './share-tabs.js';
export { type LockManagerLike, removeClosedTabSessions, tabSyncKey } from './tab-session.js';
export { type WatchBrowserOptions, watchBrowser } from './watch-browser.js';
export { browserWebSocketFactory } from './websocket.js';
