// Fuzzing the decoder: at least a million random and mutated frames (PARLEY_FUZZ_FRAMES for more),
// in batches, through server- and client-role connections fed in random chops. Nothing may escape
// as an exception, every failure must be a typed close code, and buffered bytes stay within limits.
import { describe, expect, it } from 'vitest';
import { isParleyError } from '../errors.js';
import { SeededRandom } from '../testing/seeded-random.js';
import { WebSocketConnection } from './connection.js';
import { isValidWsCloseCode } from './constants.js';

const TOTAL = Number(process.env.PARLEY_FUZZ_FRAMES ?? 1_000_000);
const BATCH = 50_000;
const LIMITS = { maxFrame: 2048, maxMessage: 8192, maxFragments: 16 };
const BOUND = LIMITS.maxFrame + LIMITS.maxMessage + 139;
const FAILURE_CODES = new Set(['1002', '1007', '1009']);

interface Tally {
  frames: number;
  connections: number;
  messages: number;
  failures: Map<string, number>;
  problems: string[];
}

/** One frame as a peer of `role` would build it, valid or not, possibly mutated afterwards. */
function makeFrame(r: SeededRandom, maskIt: boolean): Uint8Array {
  const pick = r.nextInt(100);
  const opcode =
    pick < 40
      ? 2
      : pick < 70
        ? 1
        : pick < 80
          ? 0
          : pick < 88
            ? 9
            : pick < 94
              ? 10
              : pick < 96
                ? 8
                : r.nextInt(16);
  const sizeRoll = r.nextInt(100);
  const len =
    opcode >= 8
      ? r.nextInt(opcode === 8 && r.nextInt(4) === 0 ? 2 : 126)
      : sizeRoll < 80
        ? r.nextInt(64)
        : sizeRoll < 97
          ? 126 + r.nextInt(3000)
          : r.nextInt(5) === 0
            ? 65_536 + r.nextInt(10)
            : r.nextInt(200);
  const payload = opcode === 1 && r.nextInt(2) === 0 ? asciiOrUtf8(r, len) : r.bytes(len);
  if (opcode === 8 && len >= 2) {
    const code = r.nextInt(3) === 0 ? r.nextInt(5000) : 1000 + r.nextInt(15);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
  }
  const ext = len < 126 ? 0 : len < 65_536 ? 2 : 8;
  const head = 2 + ext + (maskIt ? 4 : 0);
  const out = new Uint8Array(head + len);
  out[0] = (opcode >= 8 || r.nextInt(4) !== 0 ? 0x80 : 0) | opcode;
  out[1] = (maskIt ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) {
    out[2] = len >> 8;
    out[3] = len & 0xff;
  } else if (ext === 8) {
    out[7] = (len >>> 24) & 0xff;
    out[8] = (len >> 16) & 0xff;
    out[9] = (len >> 8) & 0xff;
    out[10] = len & 0xff;
  }
  const key = r.bytes(4);
  if (maskIt) out.set(key, 2 + ext);
  for (let i = 0; i < len; i++)
    out[head + i] = (payload[i] as number) ^ (maskIt ? (key[i & 3] as number) : 0);
  mutate(r, out);
  return out;
}

function asciiOrUtf8(r: SeededRandom, len: number): Uint8Array {
  const s = Array.from({ length: Math.ceil(len / 2) }, () =>
    r.nextInt(4) === 0 ? 'é' : r.nextInt(8) === 0 ? '€' : 'a',
  ).join('');
  return new TextEncoder().encode(s).subarray(0, len);
}

/** Mutates one frame in six: bit flips, byte swaps, truncation, garbage, length lies. */
function mutate(r: SeededRandom, f: Uint8Array): void {
  const roll = r.nextInt(60);
  if (roll >= 10 || f.length === 0) return;
  if (roll < 4) f[r.nextInt(Math.min(f.length, 14))] ^= 1 << r.nextInt(8);
  else if (roll < 6) f[r.nextInt(f.length)] = r.nextInt(256);
  else if (roll < 7) f.fill(r.nextInt(256), r.nextInt(f.length));
  else if (roll < 8) f.set(r.bytes(Math.min(f.length, 14)));
  else if (roll < 9 && f.length > 1) f[1] = ((f[1] as number) & 0x80) | (126 + r.nextInt(2));
  else f[0] = ((f[0] as number) & 0x8f) | (r.nextInt(8) << 4);
}

function newConnection(server: boolean, t: Tally): WebSocketConnection {
  t.connections++;
  const conn: WebSocketConnection = new WebSocketConnection({
    role: server ? 'server' : 'client',
    random: new SeededRandom(t.connections),
    limits: LIMITS,
    handlers: {
      onMessage: (data, binary) => {
        t.messages++;
        if (data.length > LIMITS.maxMessage) t.problems.push(`message of ${data.length} bytes`);
        if (!binary) {
          try {
            new TextDecoder('utf-8', { fatal: true }).decode(data);
          } catch {
            t.problems.push('invalid UTF-8 delivered as text');
          }
        }
        if (t.messages % 7 === 0) conn.send(data, binary);
      },
      onError: (e) => {
        if (!isParleyError(e) || !FAILURE_CODES.has(e.code) || e.data?.closeCode !== Number(e.code)) {
          t.problems.push(`untyped failure ${String(e)}`);
        }
        t.failures.set(e.code, (t.failures.get(e.code) ?? 0) + 1);
      },
      onClose: (code) => {
        if (!(code === 1005 || code === 1006 || isValidWsCloseCode(code)))
          t.problems.push(`close code ${code}`);
      },
    },
  });
  return conn;
}

function runBatch(seed: number, frames: number): Tally {
  const r = new SeededRandom(seed);
  const t: Tally = { frames: 0, connections: 0, messages: 0, failures: new Map(), problems: [] };
  let server = true;
  let conn = newConnection(server, t);
  while (t.frames < frames) {
    // A group of frames back to back, fed in random chops that cross frame boundaries.
    const group = Array.from({ length: 1 + r.nextInt(6) }, () => makeFrame(r, server));
    const starts: number[] = [];
    let total = 0;
    for (const f of group) {
      starts.push(total);
      total += f.length;
    }
    const stream = new Uint8Array(total);
    for (let i = 0; i < group.length; i++) stream.set(group[i] as Uint8Array, starts[i]);
    let pos = 0;
    while (pos < total && conn.state !== 'closed') {
      const n = 1 + r.nextInt(r.nextInt(4) === 0 ? 8 : 4096);
      try {
        conn.receive(t.frames, stream.slice(pos, pos + n));
      } catch (e) {
        t.problems.push(`exception escaped: ${String(e)}`);
      }
      pos += n;
      if (conn.receiveBuffered > BOUND) t.problems.push(`holding ${conn.receiveBuffered} bytes`);
    }
    // Frames the decoder saw at least the start of.
    t.frames += starts.filter((s) => s < pos).length;
    while (conn.pollTransmit() !== undefined) {}
    if (conn.state === 'closed' || r.nextInt(200) === 0) {
      if (conn.state !== 'closed') conn.transportClosed();
      server = !server;
      conn = newConnection(server, t);
    }
    if (t.problems.length > 20) break;
  }
  return t;
}

describe(`fuzz: ${TOTAL.toLocaleString('en')} random and mutated frames`, () => {
  const batches = Math.ceil(TOTAL / BATCH);
  const seen = { frames: 0, failures: new Map<string, number>(), messages: 0 };
  it.each(Array.from({ length: batches }, (_, i) => i + 1))(
    'batch %i',
    (seed) => {
      const t = runBatch(seed, Math.min(BATCH, TOTAL - (seed - 1) * BATCH));
      expect(t.problems).toEqual([]);
      seen.frames += t.frames;
      seen.messages += t.messages;
      for (const [k, v] of t.failures) seen.failures.set(k, (seen.failures.get(k) ?? 0) + v);
      // Memory stays bounded across a batch, not just per connection.
      expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
    },
    120_000,
  );

  it('fed every frame and exercised every failure kind', () => {
    expect(seen.frames).toBeGreaterThanOrEqual(TOTAL);
    expect(seen.messages).toBeGreaterThan(TOTAL / 20);
    for (const code of FAILURE_CODES) expect(seen.failures.get(code) ?? 0).toBeGreaterThan(100);
  });
});
