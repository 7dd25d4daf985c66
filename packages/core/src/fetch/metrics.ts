import type { VerifyFailureKind } from './types.js';

/** Why one attempt failed: a transport outcome or a {@link VerifyFailureKind} of its answer. */
export type AttemptFailureKind =
  | 'timeout'
  | 'network'
  | 'http_5xx'
  | 'http_429'
  | 'http_403'
  | 'http_404'
  | 'http_other'
  /** The body was not the shape the request kind answers with. */
  | 'bad_response'
  | VerifyFailureKind;

/** Latency of the answered attempts to one destination. */
export interface DestinationLatency {
  count: number;
  totalMs: number;
  minMs: number;
  maxMs: number;
}

/**
 * The scheduler's counters, as a plain object (copy it, serialise it, export it to Prometheus).
 * Attempts are single federation requests; a fetch may take several.
 */
export interface FetchMetrics {
  /** Attempts started (requests emitted). */
  started: number;
  /** Attempts whose answer was accepted. */
  succeeded: number;
  /** Attempts that failed, by kind. */
  failed: Partial<Record<AttemptFailureKind, number>>;
  /** Requests for an event already being fetched, which joined that fetch instead. */
  deduplicated: number;
  /** Event fetches cancelled: every waiter left, or the event arrived by other means. */
  cancelled: number;
  /** Attempts cancelled (a hedge lost, a fetch was cancelled or finished elsewhere). */
  attemptsCancelled: number;
  /** Hedge attempts started. */
  hedged: number;
  /** Events that passed evaluation / failed authorization. */
  evaluated: number;
  rejected: number;
  /** Event fetches that gave up. */
  fetchesFailed: number;
  /** Answered attempts' latency per destination. */
  latency: Record<string, DestinationLatency>;
}

/** A zeroed {@link FetchMetrics}. */
export function createFetchMetrics(): FetchMetrics {
  return {
    started: 0,
    succeeded: 0,
    failed: {},
    deduplicated: 0,
    cancelled: 0,
    attemptsCancelled: 0,
    hedged: 0,
    evaluated: 0,
    rejected: 0,
    fetchesFailed: 0,
    latency: {},
  };
}

/** Counts one failed attempt. */
export function countFailure(m: FetchMetrics, kind: AttemptFailureKind): void {
  m.failed[kind] = (m.failed[kind] ?? 0) + 1;
}

/** Records the latency of an answered attempt. `maxDestinations` bounds the table. */
export function recordLatency(
  m: FetchMetrics,
  destination: string,
  ms: number,
  maxDestinations: number,
): void {
  let l = m.latency[destination];
  if (l === undefined) {
    if (Object.keys(m.latency).length >= maxDestinations) return;
    l = { count: 0, totalMs: 0, minMs: ms, maxMs: ms };
    m.latency[destination] = l;
  }
  l.count++;
  l.totalMs += ms;
  if (ms < l.minMs) l.minMs = ms;
  if (ms > l.maxMs) l.maxMs = ms;
}
