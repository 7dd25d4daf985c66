// Echo round trips over loopback: Parley's ws-echo (core codec over Node sockets) vs a ws echo
// server, each in its own process, driven by the same ws client. Sequential round trips (one
// message in flight) and pipelined ones (a window of 64), for 20 B and 16 KiB binary messages.
// Run: npx tsx bench/websocket/echo.ts
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** CPU time (user + system, ms) a child process has used so far, from /proc (Linux). */
function childCpuMs(child: ChildProcess): number {
  const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in 1/100 s ticks
}

const parley = await startServer([builtEchoServer(), '--port', '0', '--keep-alive-ms', '0']);
const wsServer = await startServer(['--import', 'tsx', join(ROOT, 'bench/websocket/ws-echo-server.ts')]);
const [a, b] = [await open(parley.url), await open(wsServer.url)];

console.log(
  `echo: ${machine()}, ws ${(await import('ws/package.json', { with: { type: 'json' } })).default.version}\n`,
);
const rows: string[][] = [];
const cpuRows: string[][] = [];
for (const [size, window, total] of [
  [20, 1, 20_000],
  [16 * 1024, 1, 5_000],
  [20, 64, 100_000],
  [16 * 1024, 64, 20_000],
] as const) {
  const payload = Buffer.alloc(size, 0x42);
  // Server CPU per round trip: what bounds a server's capacity, and barely moved by other jobs.
  const cpu = { a: 0, b: 0 };
  const timed = (ws: WebSocket, child: ChildProcess, key: 'a' | 'b') => async () => {
    const c0 = childCpuMs(child);
    await roundTrips(ws, payload, total, window);
    cpu[key] += childCpuMs(child) - c0;
  };
  const r = await versus(TRIALS, timed(a, parley.child, 'a'), timed(b, wsServer.child, 'b'));
  const runs = (TRIALS + 2) * total;
  cpuRows.push([
    `${size < 1024 ? `${size} B` : `${size / 1024} KiB`}, ${window === 1 ? 'sequential' : `window ${window}`}`,
    `${((cpu.a * 1000) / runs).toFixed(1)} µs`,
    `${((cpu.b * 1000) / runs).toFixed(1)} µs`,
    `${(cpu.b / cpu.a).toFixed(2)}×`,
  ]);
  rows.push([
    `${size < 1024 ? `${size} B` : `${size / 1024} KiB`}, ${window === 1 ? 'sequential' : `window ${window}`}`,
    `${fmt((total * 1000) / r.a)} rt/s`,
    `${fmt((total * 1000) / r.b)} rt/s`,
    `${r.ratio.toFixed(2)}×`,
  ]);
}
table(['messages', 'Parley ws-echo', 'ws echo server', 'Parley / ws'], rows);
console.log('\nServer CPU time per round trip (lower is better; ratio = ws / Parley):\n');
table(['messages', 'Parley ws-echo', 'ws echo server', 'ws / Parley'], cpuRows);
a.terminate();
b.terminate();
parley.child.kill();
wsServer.child.kill();
