import type { WebSocketFactory } from '@parley/core';

/**
 * A {@link WebSocketFactory} on the browser's `WebSocket` (looked up at call time), with binary
 * messages as `ArrayBuffer`.
 */
export function browserWebSocketFactory(): WebSocketFactory {
  return (url) => {
    const ws = new globalThis.WebSocket(url);
    ws.binaryType = 'arraybuffer';
    return ws;
  };
}
