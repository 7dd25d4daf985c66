import { request } from 'node:http';
import {
  buildWsUpgradeRequest,
  checkWsUpgradeResponse,
  createWsClientKey,
  ParleyError,
  throwIfAborted,
} from '@parley/core';
import { nodeRandom } from '@parley/transport-node';
import { NodeWebSocket, type NodeWebSocketOptions } from './node-websocket.js';

/** Options of {@link connectWebSocket}. */
export interface ConnectWebSocketOptions extends NodeWebSocketOptions {
  /** Subprotocols to offer. */
  protocols?: readonly string[];
  /** Extra request headers. */
  headers?: Readonly<Record<string, string>>;
  /** Cancels the connection attempt. */
  signal?: AbortSignal;
}

/**
 * Opens a client-role connection with Parley's codec over a Node socket (`ws://` only). Parley's
 * apps use isomorphic-ws; this is for tests, benchmarks and tools that want the same codec on
 * both ends.
 */
export function connectWebSocket(url: string, options: ConnectWebSocketOptions = {}): Promise<NodeWebSocket> {
  throwIfAborted(options.signal);
  const u = new URL(url);
  if (u.protocol !== 'ws:')
    throw new ParleyError('invalid_argument', `only ws:// URLs are supported, got ${u.protocol}`);
  const random = options.random ?? nodeRandom;
  const key = createWsClientKey(random);
  const protocols = options.protocols ?? [];
  // The request head is built by core; node:http only carries it.
  const head = buildWsUpgradeRequest({
    host: u.host,
    path: `${u.pathname}${u.search}`,
    key,
    protocols,
    headers: options.headers,
  });
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return new Promise((resolve, reject) => {
    const req = request({
      host: u.hostname,
      port: u.port || 80,
      path: `${u.pathname}${u.search}`,
      headers,
      signal: options.signal,
    });
    req.on('upgrade', (res, socket, rest) => {
      try {
        const protocol = checkWsUpgradeResponse(res.statusCode ?? 0, res.headers, key, protocols);
        resolve(new NodeWebSocket(socket, 'client', rest, protocol, { ...options, random }));
      } catch (e) {
        socket.destroy();
        reject(e);
      }
    });
    req.on('response', (res) => {
      res.resume();
      reject(
        new ParleyError('ws_handshake', `WebSocket handshake failed: status ${res.statusCode}`, {
          httpStatus: res.statusCode,
        }),
      );
    });
    req.on('error', (e) =>
      reject(
        options.signal?.aborted
          ? ParleyError.aborted(options.signal.reason)
          : ParleyError.network(e.message, e),
      ),
    );
    req.end();
  });
}
