import { type FetchHttpOptions, MemoryStore, ParleyClient, type ParleyClientOptions } from '@parley/core';
import { FileStore } from './file-store.js';
import { nodeHttp } from './http.js';
import { nodeClock, nodeRandom, nodeTimers } from './platform.js';
import { type NodeWebSocketOptions, nodeWebSocketFactory } from './websocket.js';

/** Options of {@link createClient}: the server, where to keep state, and any `ParleyClientOptions` override. */
export interface NodeClientOptions extends Partial<Omit<ParleyClientOptions, 'baseUrl'>> {
  /** The server, e.g. `http://127.0.0.1:8008`. */
  baseUrl: string;
  /**
   * A directory for the session, sync position, outbox and cache (a {@link FileStore} with atomic
   * writes). Without it (and without `store`), nothing survives the process.
   */
  storePath?: string;
  /** Options of the `ws` socket (max payload, extra headers). */
  webSocketOptions?: NodeWebSocketOptions;
  /** Options of the fetch-based HTTP function (max answer size). */
  httpOptions?: FetchHttpOptions;
}

/**
 * A {@link ParleyClient} wired to Node: `fetch` for HTTP, `ws` (through isomorphic-ws) for the
 * realtime channel, the wall clock, `node:crypto` randomness, and a file store when `storePath`
 * is given. Call `client.start()` (or `login`/`register`) next.
 */
export function createClient(options: NodeClientOptions): ParleyClient {
  const { storePath, webSocketOptions, httpOptions, ...rest } = options;
  return new ParleyClient({
    http: nodeHttp(httpOptions),
    webSocket: nodeWebSocketFactory(webSocketOptions),
    clock: nodeClock,
    timers: nodeTimers,
    random: nodeRandom,
    store: storePath === undefined ? new MemoryStore() : new FileStore(storePath),
    ...rest,
  });
}
