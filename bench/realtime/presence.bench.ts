/**
 * Presence benchmarks of the realtime core (no sockets):
 *
 * 1. merge: `applySetPres` + `mergePresence` over a user's three connections (the merge rule alone);
 * 2. router: an `OP_SETPRES` message through `RealtimeRouter.handleMessage` (decode, rate limit,
 *    merge, fan-out to the user's own three connections) and `poll()` until empty;
 * 3. fan-out: one presence change reaching 100 watching connections (room peers, or mutual
 *    contacts), timed from `handleMessage` to the last `poll()` output.
 *
 * Run: `npx tsx --conditions=@parley/source bench/realtime/presence.bench.ts [--quick]`
 * Results are recorded in docs/realtime-protocol.md ("Performance").
 */

import os from 'node:os';
import {
  applySetPres,
  type ConnectionPresence,
  encodeClientCommand,
  handleFromBigInt,
  initialPresence,
  mergePresence,
  OP_HELLO,
  OP_SETPRES,
  PRESENCE_IDLE_FLAG,
  RealtimeRouter,
} from '@parley/core';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 3 : 7;

function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

// A fixed pseudo-random stream, so every run measures the same work.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Presence bytes: 3/4 idle-timer updates (lower values), 1/4 user-set values. */
function presenceBytes(n: number): Uint8Array {
  const next = lcg(42);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    out[i] = (r & 3) === 0 ? 1 + ((r >>> 8) % 5) : PRESENCE_IDLE_FLAG | (1 + ((r >>> 8) % 5));
  }
  return out;
}

function benchMerge(): number {
  const N = quick ? 2_000_000 : 10_000_000;
  const bytes = presenceBytes(4096);
  const rates: number[] = [];
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const conns: ConnectionPresence[] = [initialPresence(3), initialPresence(4), initialPresence(2)];
    const t0 = nowMs();
    for (let i = 0; i < N; i++) {
      applySetPres(conns[i % 3]!, bytes[i & 4095]!);
      sink += mergePresence(conns);
    }
    rates.push(N / ((nowMs() - t0) / 1000));
  }
  if (sink < 0) console.log(sink);
  return median(rates);
}

const BIG = { commandsPerSecond: 1e12, commandBurst: 1e12, clientTimeoutMs: 0 };
const h = (n: number) => handleFromBigInt(BigInt(n));
const hello = (presence: number) => encodeClientCommand({ op: OP_HELLO, clientVersion: 1, presence });

function drain(router: RealtimeRouter): number {
  let n = 0;
  while (router.poll() !== undefined) n++;
  return n;
}

function benchRouter(): { rate: number; changed: number } {
  const N = quick ? 300_000 : 1_000_000;
  const bytes = presenceBytes(4096);
  const msgs = Array.from(bytes, (b) => encodeClientCommand({ op: OP_SETPRES, presence: b }));
  const rates: number[] = [];
  let outputs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const router = new RealtimeRouter(BIG);
    for (let c = 1; c <= 3; c++) {
      router.connect(c, h(1), 0);
      router.handleMessage(c, hello(2 + c), 0);
    }
    drain(router);
    outputs = 0;
    const t0 = nowMs();
    for (let i = 0; i < N; i++) {
      router.handleMessage(1 + (i % 3), msgs[i & 4095]!, i);
      outputs += drain(router);
    }
    rates.push(N / ((nowMs() - t0) / 1000));
  }
  // Each change of the merged value gives one output per own connection (3).
  return { rate: median(rates), changed: outputs / 3 / N };
}

function benchFanout(mode: 'room' | 'contacts'): { p50: number; p99: number; mean: number; perSec: number } {
  const WATCHERS = 100;
  const N = quick ? 5_000 : 20_000;
  const router = new RealtimeRouter(BIG);
  const A = h(1);
  const room = h(1_000_000);
  const watchers = Array.from({ length: WATCHERS }, (_, i) => h(2 + i));
  if (mode === 'room') router.setRoomMembers(room, [A, ...watchers]);
  else {
    router.setContacts(A, watchers);
    for (const w of watchers) router.setContacts(w, [A]);
  }
  watchers.forEach((w, i) => {
    router.connect(10 + i, w, 0);
    router.handleMessage(10 + i, hello(3), 0);
  });
  router.connect(1, A, 0);
  router.handleMessage(1, hello(3), 0);
  drain(router);
  const msgs = [4, 3].map((p) => encodeClientCommand({ op: OP_SETPRES, presence: p }));
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = nowMs();
    router.handleMessage(1, msgs[i & 1]!, i);
    const n = drain(router);
    samples.push((nowMs() - t0) * 1000);
    if (n !== WATCHERS + 1) throw new Error(`expected ${WATCHERS + 1} outputs, got ${n}`);
  }
  const warm = samples.slice(Math.floor(N / 5)); // drop the JIT warm-up
  const mean = warm.reduce((a, b) => a + b, 0) / warm.length;
  return { p50: percentile(warm, 50), p99: percentile(warm, 99), mean, perSec: 1e6 / mean };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits });
const merge = benchMerge();
const router = benchRouter();
const room = benchFanout('room');
const contacts = benchFanout('contacts');

console.log(
  `machine: ${os.cpus().length}-core ${os.arch()}, ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`,
);
console.log('');
console.log('| benchmark | result | goal |');
console.log('| --- | --- | --- |');
console.log(
  `| presence merge (applySetPres + mergePresence, 3 connections) | ${fmt(merge)} updates/s | >= 1,000,000/s (${fmt(merge / 1e6, 1)}x) |`,
);
console.log(
  `| OP_SETPRES through RealtimeRouter (decode, limits, merge, fan-out to own 3 devices; ${fmt(router.changed * 100)}% change the merge) | ${fmt(router.rate)} updates/s | >= 1,000,000/s (${fmt(router.rate / 1e6, 2)}x) |`,
);
for (const [name, r] of [
  ['room peers', room],
  ['mutual contacts', contacts],
] as const) {
  console.log(
    `| one change to 100 watching connections (${name}): handleMessage -> last poll() | p50 ${fmt(r.p50, 1)} µs, p99 ${fmt(r.p99, 1)} µs, mean ${fmt(r.mean, 1)} µs (${fmt(r.perSec)} changes/s, ${fmt(r.perSec * 101)} deliveries/s) | — |`,
  );
}
