// Decoder throughput: Parley's codec vs ws's Receiver (ws/lib/receiver.js) on the same byte streams,
// fed in the same 64 KiB chunks a socket would deliver. Both unmask in place, so every trial gets
// fresh copies (made outside the timed part). Times are CPU time of this process (see harness.ts).
// Run: npx tsx bench/websocket/decoder.ts
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fmt, loadCoreWebSocket, machine, table, versus } from './harness.js';

const { WebSocketConnection } = await loadCoreWebSocket();
const require = createRequire(import.meta.url);
// ws exports only its entry points; the Receiver is loaded by path from the installed package.
const Receiver = require(join(dirname(require.resolve('ws/package.json')), 'lib/receiver.js')) as new (
  o: object,
) => {
  on(e: 'message', f: (data: Buffer, binary: boolean) => void): void;
  on(e: 'error', f: (e: Error) => void): void;
  write(chunk: Buffer): boolean;
};

const CHUNK = 64 * 1024;
const TRIALS = 15;

/** `count` masked client frames of `size` bytes (text or binary), cut into socket-sized chunks. */
function stream(count: number, size: number, opcode: 1 | 2): Buffer[] {
  const head = size < 126 ? 2 : size < 65_536 ? 4 : 10;
  const frameLen = head + 4 + size;
  const all = Buffer.alloc(frameLen * count);
  for (let f = 0; f < count; f++) {
    const o = f * frameLen;
    all[o] = 0x80 | opcode;
    if (size < 126) all[o + 1] = 0x80 | size;
    else if (size < 65_536) {
      all[o + 1] = 0x80 | 126;
      all.writeUInt16BE(size, o + 2);
    } else {
      all[o + 1] = 0x80 | 127;
      all.writeUInt32BE(size, o + 6);
    }
    const key = [(f * 7) & 0xff, 0x5a, (f >> 3) & 0xff, 0xc3];
    all.set(key, o + head);
    for (let i = 0; i < size; i++) all[o + head + 4 + i] = (0x61 + (i % 26)) ^ (key[i & 3] as number);
  }
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += CHUNK) chunks.push(all.subarray(i, i + CHUNK));
  return chunks;
}

const copies = (chunks: Buffer[]) => chunks.map((c) => Buffer.from(c));

async function compare(label: string, count: number, size: number, opcode: 1 | 2, frameLevel = false) {
  const src = stream(count, size, opcode);
  let fresh: Buffer[] = [];
  const setup = () => {
    fresh = copies(src);
  };
  let got = 0;
  const maxMessage = Math.max(size, 1 << 20);
  const parleyRun = () => {
    const handlers = frameLevel
      ? {
          onFrameBegin: () => {},
          onFrameData: (c: Uint8Array) => {
            got += c.length;
          },
          onFrameEnd: () => {},
        }
      : {
          onMessage: () => {
            got++;
          },
        };
    const conn = new WebSocketConnection({
      role: 'server',
      limits: { maxFrame: maxMessage, maxMessage },
      handlers,
    });
    for (const c of fresh) conn.receive(0, c);
  };
  const wsRun = () => {
    const r = new Receiver({ isServer: true, maxPayload: maxMessage });
    r.on('message', (data) => {
      got += frameLevel ? data.length : 1;
    });
    r.on('error', (e) => {
      throw e;
    });
    for (const c of fresh) r.write(c);
  };
  const { a: parley, b: ws, ratio } = await versus(TRIALS, parleyRun, wsRun, setup, 'cpu');
  const want = (frameLevel ? count * size : count) * 2 * (TRIALS + 2);
  if (got !== want) throw new Error(`delivered ${got}, expected ${want}`);
  const bytes = count * size;
  return [
    label,
    `${fmt((count * 1000) / parley)} msg/s, ${fmt((bytes * 1000) / parley)}B/s`,
    `${fmt((count * 1000) / ws)} msg/s, ${fmt((bytes * 1000) / ws)}B/s`,
    `${ratio.toFixed(2)}×`,
  ];
}

console.log(`decoder: ${machine()}, ws ${require('ws/package.json').version}\n`);
const only = process.argv[2];
const cases: [string, number, number, 1 | 2, boolean][] = [
  ['32 B binary, masked', 500_000, 32, 2, false],
  ['32 B text, masked', 500_000, 32, 1, false],
  ['64 KiB binary, masked (messages)', 512, 65_536, 2, false],
  ['64 KiB binary, masked (frame level, streamed)', 512, 65_536, 2, true],
  ['64 KiB text, masked (messages)', 512, 65_536, 1, false],
];
const rows = [];
for (const [label, count, size, opcode, frameLevel] of cases) {
  if (only === undefined || label.includes(only))
    rows.push(await compare(label, count, size, opcode, frameLevel));
}
table(['stream', 'Parley', 'ws Receiver', 'Parley / ws'], rows);
