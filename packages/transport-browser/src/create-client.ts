import { type FetchHttpOptions, MemoryStore, ParleyClient, type ParleyClientOptions } from '@parley/core';
import { browserHttp } from './http.js';
import { IdbStore } from './idb-store.js';
import { browserClock, browserRandom, browserTimers } from './platform.js';
import { shareTabs } from './share-tabs.js';
import { tabSyncKey } from './tab-session.js';
import { browserWebSocketFactory } from './websocket.js';

/** Options of {@link createClient}: the server, where to keep state, and any `ParleyClientOptions` override. */
export interface BrowserClientOptions extends Partial<Omit<ParleyClientOptions, 'baseUrl'>> {
  /** The server, e.g. `https://chat.example.org`, or `location.origin` when the app is served by it. */
  baseUrl: string;
  /**
   * The IndexedDB database for the session, sync position, outbox and cache (default `parley`),
   * or `false` to keep nothing (e.g. a shared computer).
   */
  database?: string | false;
  httpOptions?: FetchHttpOptions;
  /**
   * Share one login and one realtime connection between the tabs of this browser
   * ({@link shareTabs}; needs `BroadcastChannel` and Web Locks). Default true with a database.
   */
  shareTabs?: boolean;
}

/**
 * A {@link ParleyClient} wired to the browser: `fetch`, the native `WebSocket`, the page's
 * clock and timers, Web Crypto randomness and an IndexedDB store (through `idb`). Call
 * `client.start()` (or `login`/`register`) next; see {@link watchBrowser} for the idle and
 * network hooks.
 */
export function createClient(options: BrowserClientOptions): ParleyClient {
  const { database, httpOptions, shareTabs: share, ...rest } = options;
  const store =
    rest.store ?? (database === false ? new MemoryStore() : new IdbStore({ name: database ?? 'parley' }));
  // Each page its own sync session (tabs share the store): see tabSyncKey.
  const sessionKey = rest.sync?.sessionKey ?? tabSyncKey(store);
  const client = new ParleyClient({
    http: browserHttp(httpOptions),
    webSocket: browserWebSocketFactory(),
    clock: browserClock,
    timers: browserTimers,
    random: browserRandom,
    ...rest,
    store,
    sync: { ...rest.sync, sessionKey },
  });
  if (share ?? database !== false) shareTabs(client, { name: database || 'parley' });
  return client;
}
