// Echo round trips over loopback: Parley's ws-echo (core codec over Node sockets) vs a ws echo
// server, each in its own process, driven by the same ws client. Sequential round trips (one
// message in flight) and pipelined ones (a window of 64), for 20 B and 16 KiB binary messages.
// Run: npx tsx bench/websocket/echo.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { builtEchoServer, fmt, machine, ROOT, table, versus } from './harness.js';

const TRIALS = 11;

function startServer(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout?.on('data', (d: Buffer) => {
      const m = /listening on (ws:\/\/[\d.:]+)/.exec(d.toString());
      if (m) resolve({ child, url: m[1] as string });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Sends `total` messages with at most `window` in flight; resolves when all echoes are back. */
function roundTrips(ws: WebSocket, payload: Buffer, total: number, window: number): Promise<void> {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    const onMessage = () => {
      received++;
      if (received === total) {
        ws.off('message', onMessage);
        resolve();
      } else if (sent < total) {
        sent++;
        ws.send(payload);
      }
    };
    ws.on('message', onMessage);
    for (; sent < Math.min(window, total); sent++) ws.send(payload);
  });
}

const parley = await startServer([builtEchoServer(), '--port', '0', '--keep-alive-ms', '0']);
const wsServer = await startServer(['--import', 'tsx', join(ROOT, 'bench/websocket/ws-echo-server.ts')]);
const [a, b] = [await open(parley.url), await open(wsServer.url)];

console.log(
  `echo: ${machine()}, ws ${(await import('ws/package.json', { with: { type: 'json' } })).default.version}\n`,
);
const rows: string[][] = [];
for (const [size, window, total] of [
  [20, 1, 20_000],
  [16 * 1024, 1, 5_000],
  [20, 64, 100_000],
  [16 * 1024, 64, 20_000],
] as const) {
  const payload = Buffer.alloc(size, 0x42);
  const r = await versus(
    TRIALS,
    () => roundTrips(a, payload, total, window),
    () => roundTrips(b, payload, total, window),
  );
  rows.push([
    `${size < 1024 ? `${size} B` : `${size / 1024} KiB`}, ${window === 1 ? 'sequential' : `window ${window}`}`,
    `${fmt((total * 1000) / r.a)} rt/s`,
    `${fmt((total * 1000) / r.b)} rt/s`,
    `${r.ratio.toFixed(2)}×`,
  ]);
}
table(['messages', 'Parley ws-echo', 'ws echo server', 'Parley / ws'], rows);
a.terminate();
b.terminate();
parley.child.kill();
wsServer.child.kill();
