import type { WebSocketFactory } from '@parley/core';
import WebSocket from 'isomorphic-ws';

/** Options of {@link nodeWebSocketFactory}. */
export interface NodeWebSocketOptions {
  /** Largest message accepted from the server, in bytes; bigger ones close the socket. Default 16 MiB + 64. */
  maxPayload?: number;
  /** Extra headers of the upgrade request (e.g. `authorization` instead of a ticket). */
  headers?: Record<string, string>;
}

/** A {@link WebSocketFactory} on `ws` (through isomorphic-ws), with binary messages as `ArrayBuffer`. */
export function nodeWebSocketFactory(options: NodeWebSocketOptions = {}): WebSocketFactory {
  return (url) => {
    const ws = new WebSocket(url, {
      maxPayload: options.maxPayload ?? 16 * 1024 * 1024 + 64,
      headers: options.headers,
    });
    ws.binaryType = 'arraybuffer';
    return ws;
  };
}
