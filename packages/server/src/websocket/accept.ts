import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptWsHandshake, type WebSocketHandshakeOptions } from '@parley/core';
import { NodeWebSocket, type NodeWebSocketOptions } from './node-websocket.js';

/** Options of {@link acceptWebSocket}: the handshake's (subprotocols, header limits) and the connection's. */
export interface AcceptWebSocketOptions extends WebSocketHandshakeOptions, NodeWebSocketOptions {}

/**
 * Completes a WebSocket handshake on an HTTP `upgrade` event with Parley's own codec (no `ws`).
 * On a bad request it writes the 4xx answer itself (400, 405, 426 with `Sec-WebSocket-Version: 13`,
 * or 431), closes the socket and returns `undefined`.
 *
 * @example
 * httpServer.on('upgrade', (req, socket, head) => {
 *   const ws = acceptWebSocket(req, socket, head, { limits: { maxMessage: 1 << 20 } });
 *   ws?.on('message', (data, binary) => ws.send(data, binary));
 * });
 */
export function acceptWebSocket(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: AcceptWebSocketOptions = {},
): NodeWebSocket | undefined {
  if (socket.listenerCount('error') === 0) socket.on('error', () => socket.destroy());
  const result = acceptWsHandshake({ method: req.method ?? '', rawHeaders: req.rawHeaders }, options);
  if (!result.ok) {
    socket.end(result.response);
    return undefined;
  }
  socket.write(result.response);
  return new NodeWebSocket(socket, 'server', head, result.protocol, options);
}
