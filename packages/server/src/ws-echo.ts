// `node packages/server/dist/ws-echo.js --port PORT`: a WebSocket echo server on Parley's codec,
// for conformance testing (Autobahn's fuzzingclient, ws, browsers). See docs/websocket.md.
import { parseArgs } from 'node:util';
import { ECHO_DEFAULT_LIMITS, startEchoServer } from './websocket/echo-server.js';

const USAGE = `usage: ws-echo --port PORT [--host 127.0.0.1] [--max-message BYTES] [--max-frame BYTES]
               [--max-fragments N] [--keep-alive-ms MS] [--high-water-mark BYTES]

Echoes every WebSocket message (text as text, binary as binary), answers pings and does the
close handshake. BYTES may end in k or m (KiB, MiB). Defaults: 16m per message and per frame,
1048576 fragments, keep-alive pings after 30000 ms of silence (0 turns them off).`;

function bytes(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const m = /^(\d+)([km]?)$/i.exec(value.trim());
  const n = m
    ? Number(m[1]) * (m[2]?.toLowerCase() === 'm' ? 1 << 20 : m[2]?.toLowerCase() === 'k' ? 1 << 10 : 1)
    : Number.NaN;
  if (!Number.isSafeInteger(n)) {
    console.error(`ws-echo: --${name} must be a byte count like 65536, 64k or 16m, got ${value}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse();
  } catch (e) {
    console.error(`ws-echo: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const v = args.values;
  if (v.help) {
    console.log(USAGE);
    return;
  }
  const port = bytes('port', v.port, Number.NaN);
  if (v.port === undefined || port > 65_535) {
    console.error(`ws-echo: --port is required (0-65535)\n\n${USAGE}`);
    process.exit(2);
  }
  const keepAliveMs = bytes('keep-alive-ms', v['keep-alive-ms'], 30_000);
  const echo = await startEchoServer({
    port,
    host: v.host ?? '127.0.0.1',
    limits: {
      maxMessage: bytes('max-message', v['max-message'], ECHO_DEFAULT_LIMITS.maxMessage),
      maxFrame: bytes('max-frame', v['max-frame'], ECHO_DEFAULT_LIMITS.maxFrame),
      maxFragments: bytes('max-fragments', v['max-fragments'], ECHO_DEFAULT_LIMITS.maxFragments),
    },
    keepAlive: keepAliveMs > 0 ? { intervalMs: keepAliveMs, timeoutMs: keepAliveMs } : false,
    ...(v['high-water-mark'] !== undefined
      ? { highWaterMark: bytes('high-water-mark', v['high-water-mark'], 0) }
      : {}),
  });
  console.log(`ws-echo listening on ws://${v.host ?? '127.0.0.1'}:${echo.port}`);
  const stop = () => void echo.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function parse() {
  return parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'max-message': { type: 'string' },
      'max-frame': { type: 'string' },
      'max-fragments': { type: 'string' },
      'keep-alive-ms': { type: 'string' },
      'high-water-mark': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

void main();
