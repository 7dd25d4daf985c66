// The server side of bench/websocket/idle-heap.ts: an HTTP server that upgrades every request with
// Parley's adapter (`parley`) or ws (`ws`), and reports its memory over IPC after a full GC.
// Run by idle-heap.ts with --expose-gc and the @parley/source condition.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { loadSource } from './harness.js';

type Accept = (req: unknown, socket: Duplex, head: Buffer, options?: object) => unknown;
const kind = process.argv[2];
const keepAlive = process.argv[3] !== 'no-keepalive';
const held: unknown[] = [];
const server = createServer();

if (kind === 'parley') {
  const { acceptWebSocket } = await loadSource<{ acceptWebSocket: Accept }>(
    'packages/server/src/websocket/index.ts',
  );
  server.on('upgrade', (req, socket, head) => {
    held.push(acceptWebSocket(req, socket, head, keepAlive ? {} : { keepAlive: false }));
  });
} else {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => held.push(ws)));
}

server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
process.on('message', (m) => {
  if (m !== 'measure') return;
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) gc?.();
  const u = process.memoryUsage();
  process.send?.({
    heapUsed: u.heapUsed,
    external: u.external,
    arrayBuffers: u.arrayBuffers,
    rss: u.rss,
    connections: held.length,
  });
});
