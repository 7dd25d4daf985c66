/**
 * Filling a 1,000-event gap from three peers (one dead, one slow) in the simulator, virtual time:
 * the fetch scheduler against a one-at-a-time per-event fetch (the seed's behaviour), and against
 * the bound that latency and the concurrency caps set. Events are real signed room v11 events,
 * verified and authorized on arrival.
 *
 * Workloads:
 *   gap   — a linear gap of 1,000 events behind one pushed event (the get_missing_events walk);
 *   ids   — 1,000 known event ids requested at once (the shape of a state fetch's missing events).
 *
 * Run: `npx tsx --conditions=@parley/source bench/fetch/gap.ts [--quick] [--fake-events]`
 * Results are recorded in docs/federation-fetch.md ("Measurements").
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { DEFAULT_FETCH_OPTIONS, type FetchOptions, FetchScheduler, type PDU } from '@parley/core';
import {
  fakeCodec,
  realCodec,
  type SimEvent,
  type SimEventCodec,
  type SimFetcherFactory,
  type SimRoom,
  simulateRoom,
} from '@parley/core/testing';
import { OneAtATimeFetcher } from './one-at-a-time.js';

const quick = process.argv.includes('--quick');
// Fake digest events instead of ed25519-signed ones: wall time then shows the scheduler's own cost.
const fakeEvents = process.argv.includes('--fake-events');
const N = quick ? 200 : 1_000;
const ONE_WAY_MS = 25; // fast peer: 50 ms round trip
const SLOW_EXTRA_MS = 225; // slow peer: 500 ms round trip
const HEDGE_MS = 150;
const OPTIONS: Partial<FetchOptions> = { gapWalkLimit: N, hedgeDelayMs: HEDGE_MS };
const SERVERS = ['us', 'fast', 'slow', 'dead'];

interface Result {
  virtualMs: number;
  wallMs: number;
  requests: number;
  complete: boolean;
}

function build(factory: SimFetcherFactory<PDU>): { room: SimRoom<PDU>; history: SimEvent<PDU>[] } {
  const room = simulateRoom<PDU>({
    seed: 2024,
    servers: SERVERS,
    codec: fakeEvents ? () => fakeCodec as unknown as SimEventCodec<PDU> : realCodec,
    latencyMs: ONE_WAY_MS,
    jitterMs: 0,
    factory,
  });
  room.net.setExtraLatency('slow', SLOW_EXTRA_MS);
  // The peers hold N+1 messages we missed, written in turn by their three servers.
  const senders = ['fast', 'slow', 'dead'];
  const history: SimEvent<PDU>[] = [];
  let prev = room.genesis[room.genesis.length - 1] as SimEvent<PDU>;
  for (let i = 0; i <= N; i++) {
    const ev = room.codec.message(
      senders[i % 3] as string,
      room.roomId,
      `message ${i}`,
      [{ eventId: prev.eventId, depth: prev.pdu.depth }],
      i,
    );
    history.push(ev);
    prev = ev;
  }
  for (const name of ['fast', 'slow', 'dead']) {
    const s = room.servers[name];
    for (const e of history) s?.store.store(e.eventId, e.pdu);
  }
  room.servers.dead?.crash();
  return { room, history };
}

/** Runs until `us` holds `target` events (or nothing is left to do); virtual and wall time. */
function drive(room: SimRoom<PDU>, target: number, requests: () => number): Result {
  const us = room.servers.us!;
  const clock = room.net.clock;
  const t0 = clock.now();
  const w0 = performance.now();
  while (us.store.events.size < target) {
    const next = clock.nextDeadline();
    if (next === undefined) break;
    clock.advance(next - clock.now());
  }
  return {
    virtualMs: clock.now() - t0,
    wallMs: performance.now() - w0,
    requests: requests(),
    complete: us.store.events.size >= target,
  };
}

function schedulerFactory(): { factory: SimFetcherFactory<PDU>; requests: () => number } {
  let last: FetchScheduler<PDU> | undefined;
  return {
    factory: (init) => {
      const s = new FetchScheduler<PDU>({ ...init, options: OPTIONS });
      if (init.serverName === 'us') last = s;
      return s;
    },
    requests: () => last?.metrics.started ?? 0,
  };
}

function baselineFactory(): {
  factory: SimFetcherFactory<PDU>;
  requests: () => number;
  last: () => OneAtATimeFetcher<PDU>;
} {
  let last: OneAtATimeFetcher<PDU> | undefined;
  return {
    factory: (init) => {
      const b = new OneAtATimeFetcher<PDU>(init, DEFAULT_FETCH_OPTIONS.attemptTimeoutMs);
      if (init.serverName === 'us') last = b;
      return b;
    },
    requests: () => last?.requests ?? 0,
    last: () => last as OneAtATimeFetcher<PDU>,
  };
}

function gapRun(kind: 'scheduler' | 'baseline'): Result {
  const f = kind === 'scheduler' ? schedulerFactory() : baselineFactory();
  const { room, history } = build(f.factory);
  const tip = history[history.length - 1] as SimEvent<PDU>;
  room.servers.us!.receive('slow', tip.pdu); // pushed by its sender, the slow server
  return drive(room, room.genesis.length + history.length, f.requests);
}

function idsRun(kind: 'scheduler' | 'baseline'): Result {
  const f = kind === 'scheduler' ? schedulerFactory() : baselineFactory();
  const { room, history } = build(f.factory);
  const us = room.servers.us!;
  const ids = history.slice(0, N).map((e) => e.eventId);
  if (kind === 'scheduler') {
    const s = us.fetcher as FetchScheduler<PDU>;
    for (const id of ids) s.requestEvent(0, { roomId: room.roomId, eventId: id });
  } else {
    const b = (f as ReturnType<typeof baselineFactory>).last();
    for (const id of ids) b.requestEvent(0, room.roomId, id);
  }
  us.pump();
  return drive(room, room.genesis.length + N, f.requests);
}

// The bounds. A linear gap is discovered link by link: each round trip returns at most 20 events
// (get_missing_events' limit), so no strategy beats the wait window plus ceil(N/20) round trips to
// the fastest live peer. Known ids can be fetched in parallel: per-destination caps bound the rate
// to cap/RTT per live peer.
const RTT_FAST = 2 * ONE_WAY_MS;
const RTT_SLOW = 2 * (ONE_WAY_MS + SLOW_EXTRA_MS);
const gapBound =
  DEFAULT_FETCH_OPTIONS.waitWindowMs + Math.ceil(N / DEFAULT_FETCH_OPTIONS.getMissingEventsLimit) * RTT_FAST;
const cap = DEFAULT_FETCH_OPTIONS.maxInFlightPerDestination;
const rate = Math.min(DEFAULT_FETCH_OPTIONS.maxInFlight / RTT_FAST, cap / RTT_FAST + cap / RTT_SLOW);
const idsBound = Math.ceil(N / rate);

function row(name: string, r: Result, bound: number, base?: Result): string {
  const speedup = base === undefined ? '' : `${(base.virtualMs / r.virtualMs).toFixed(1)}x`;
  return [
    name.padEnd(22),
    `${(r.virtualMs / 1000).toFixed(2)} s`.padStart(10),
    `${r.wallMs.toFixed(0)} ms`.padStart(9),
    String(r.requests).padStart(6),
    `${(r.virtualMs / bound).toFixed(2)}`.padStart(8),
    speedup.padStart(8),
    r.complete ? '' : '  INCOMPLETE',
  ].join(' ');
}

console.log(
  `fetch benchmark: ${N}-event gap, peers fast (RTT ${RTT_FAST} ms), slow (RTT ${RTT_SLOW} ms), dead`,
);
console.log(`node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}, ${os.arch()}`);
console.log(`scheduler options: defaults + gapWalkLimit ${N}, hedgeDelayMs ${HEDGE_MS}`);
console.log(
  `events: ${fakeEvents ? 'fake digests (--fake-events)' : 'real signed room v11 (ed25519 verify per event)'}`,
);
console.log(
  `${'run'.padEnd(22)} ${'virtual'.padStart(10)} ${'wall'.padStart(9)} ${'reqs'.padStart(6)} ${'÷bound'.padStart(8)} ${'speedup'.padStart(8)}`,
);
const gb = gapRun('baseline');
const gs = gapRun('scheduler');
console.log(row('gap: one-at-a-time', gb, gapBound));
console.log(row('gap: scheduler', gs, gapBound, gb));
console.log(`${'gap: bound'.padEnd(22)} ${`${(gapBound / 1000).toFixed(2)} s`.padStart(10)}`);
const ib = idsRun('baseline');
const is = idsRun('scheduler');
console.log(row('ids: one-at-a-time', ib, idsBound));
console.log(row('ids: scheduler', is, idsBound, ib));
console.log(`${'ids: bound'.padEnd(22)} ${`${(idsBound / 1000).toFixed(2)} s`.padStart(10)}`);
