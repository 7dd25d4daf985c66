import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AcceptWebSocketOptions, acceptWebSocket } from './accept.js';
import type { NodeWebSocket } from './node-websocket.js';

/** Options of {@link startEchoServer}. */
export interface EchoServerOptions extends AcceptWebSocketOptions {
  /** TCP port; 0 picks a free one. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
}

/** A running echo server. */
export interface EchoServer {
  readonly server: Server;
  readonly port: number;
  /** Open connections. */
  readonly connections: ReadonlySet<NodeWebSocket>;
  /** Stops listening and terminates every connection. */
  close(): Promise<void>;
}

/** Default limits of the echo server: 16 MiB per message and per frame, as the docs promise. */
export const ECHO_DEFAULT_LIMITS = {
  maxFrame: 16 * 1024 * 1024,
  maxMessage: 16 * 1024 * 1024,
  maxFragments: 1 << 20,
};

/**
 * A WebSocket echo server on Parley's codec, for conformance testing: every message comes back
 * as it came (text as text, binary as binary); pings are answered; the close handshake is done.
 */
export function startEchoServer(options: EchoServerOptions = {}): Promise<EchoServer> {
  const connections = new Set<NodeWebSocket>();
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', 'Sec-WebSocket-Version': '13' });
    res.end('This is a WebSocket echo server.\n');
  });
  const wsOptions: AcceptWebSocketOptions = {
    ...options,
    limits: { ...ECHO_DEFAULT_LIMITS, ...options.limits },
  };
  server.on('upgrade', (req, socket, head) => {
    const ws = acceptWebSocket(req, socket, head, wsOptions);
    if (!ws) return;
    connections.add(ws);
    ws.on('message', (data, binary) => ws.send(data, binary));
    ws.on('close', () => connections.delete(ws));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        connections,
        close: () =>
          new Promise<void>((done) => {
            for (const ws of connections) ws.terminate();
            server.close(() => done());
          }),
      });
    });
  });
}
