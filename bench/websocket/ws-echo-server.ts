// A ws echo server, the baseline for bench/websocket/echo.ts (run as a child process).
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 0),
  perMessageDeflate: false,
});
wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
wss.on('listening', () =>
  console.log(`ws echo listening on ws://127.0.0.1:${(wss.address() as AddressInfo).port}`),
);
