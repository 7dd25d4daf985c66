// Heap per idle WebSocket connection with 10,000 connections open: Parley's Node adapter vs ws,
// each server in its own process (measured after a full GC), with raw TCP clients that do the
// handshake and then stay silent.
// Run: npx tsx bench/websocket/idle-heap.ts [connections]
import { execFileSync, fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fmt, machine, ROOT, table } from './harness.js';

const N = Number(process.argv[2] ?? 10_000);

// Each process needs a file descriptor per connection; raise the soft limit when it is too low.
const limit = Number(execFileSync('sh', ['-c', 'ulimit -n']).toString().trim());
if (limit < N + 500 && !process.env.PARLEY_BENCH_REEXEC) {
  console.log(`ulimit -n is ${limit}; re-running with ulimit -n ${N + 1000}`);
  const cmd = `ulimit -n ${N + 1000} && exec "${process.execPath}" ${process.execArgv.join(' ')} ${process.argv.slice(1).join(' ')}`;
  execFileSync('sh', ['-c', cmd], { stdio: 'inherit', env: { ...process.env, PARLEY_BENCH_REEXEC: '1' } });
  process.exit(0);
}

interface Memory {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
  connections: number;
}

function handshake(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () =>
      s.write(
        'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      ),
    );
    s.once('data', (d) =>
      d.toString().startsWith('HTTP/1.1 101') ? resolve(s) : reject(new Error(d.toString())),
    );
    s.once('error', reject);
  });
}

async function measure(kind: string, extra: string[] = []): Promise<{ before: Memory; after: Memory }> {
  const child = fork(join(ROOT, 'bench/websocket/heap-server.ts'), [kind, ...extra], {
    execArgv: ['--expose-gc', '--conditions=@parley/source', '--import', 'tsx'],
    cwd: ROOT,
  });
  const ask = () =>
    new Promise<Memory>((resolve) => {
      child.once('message', (m) => resolve(m as Memory));
      child.send('measure');
    });
  const { port } = await new Promise<{ port: number }>((resolve) =>
    child.once('message', (m) => resolve(m as { port: number })),
  );
  // Warm up: a few connections so lazily loaded code is not counted as per-connection memory.
  const warm = await Promise.all(Array.from({ length: 50 }, () => handshake(port)));
  for (const s of warm) s.destroy();
  await new Promise((r) => setTimeout(r, 500));
  const before = await ask();
  const sockets: Socket[] = [];
  for (let i = 0; i < N; i += 200) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(200, N - i) }, () => handshake(port)))));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const after = await ask();
  for (const s of sockets) s.destroy();
  child.kill();
  return { before, after };
}

console.log(`idle heap: ${machine()}, ${N} connections\n`);
const rows: string[][] = [];
for (const [label, kind, extra] of [
  ['Parley (acceptWebSocket, keep-alive on)', 'parley', []],
  ['Parley (keep-alive off)', 'parley', ['no-keepalive']],
  ['ws (WebSocketServer, noServer)', 'ws', []],
] as const) {
  const { before, after } = await measure(kind, [...extra]);
  const per = (k: keyof Memory) => (after[k] - before[k]) / N;
  rows.push([
    label,
    `${after.connections - before.connections}`,
    `${fmt(per('heapUsed') / 1024, 2)} KiB`,
    `${fmt(per('external') / 1024, 2)} KiB`,
    `${fmt(per('rss') / 1024, 1)} KiB`,
  ]);
}
table(
  ['server', 'connections', 'heap per connection', 'external per connection', 'RSS per connection'],
  rows,
);
