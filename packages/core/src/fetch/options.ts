import { ParleyError } from '../errors.js';

/** Exponential backoff: `min(maxMs, initialMs · multiplier^(failures-1))`, then full jitter. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

/**
 * Every limit and delay of the fetch scheduler. All have defaults ({@link DEFAULT_FETCH_OPTIONS});
 * pass only what you change.
 */
export interface FetchOptions {
  /** How long an event with missing `prev_events` waits for them to arrive by other means. */
  waitWindowMs: number;
  /** Per-attempt timeout; the next origin is tried after it. */
  attemptTimeoutMs: number;
  /** Origins tried per fetch (the seed tried until none was left). */
  maxOriginsPerFetch: number;
  /** A fetch that cannot find an eligible origin for this long fails with `timeout`. */
  maxFetchMs: number;
  /** Federation requests in flight, all destinations together. */
  maxInFlight: number;
  /** Federation requests in flight to one destination. */
  maxInFlightPerDestination: number;
  /** Fetches waiting for capacity; one more is a `fetch_queue_full` error. */
  maxQueued: number;
  /** Events held for evaluation (waiting for their prev/auth events); one more is `fetch_queue_full`. */
  maxPendingEvents: number;
  /** Events one gap walk may fetch; the rest become backward extremities. */
  gapWalkLimit: number;
  /** `limit` of `get_missing_events` (the protocol caps it at 20). */
  getMissingEventsLimit: number;
  /** `limit` of `backfill` (the protocol caps it at 100). */
  backfillLimit: number;
  /** Start a parallel attempt at the next origin after this long without an answer; `null`: off. */
  hedgeDelayMs: number | null;
  /** Parallel attempts per fetch beyond the first when hedging. */
  maxHedges: number;
  /** Backoff of a destination after 5xx, 429, network errors and timeouts. */
  destinationBackoff: BackoffPolicy;
  /** Backoff of an event id nobody could give us. */
  eventBackoff: BackoffPolicy;
  /** How long a server that answered with a forged, altered or different event is not asked. */
  liarPenaltyMs: number;
  /** Servers asked for their forward extremities when voting on a head for `state_ids`. */
  stateVoteServers: number;
  /** Ids accepted from one `state_ids` answer (`pdu_ids` and `auth_chain_ids` each). */
  maxStateIds: number;
  /** Destinations and event ids remembered for backoff; the oldest are forgotten beyond it. */
  maxTracked: number;
}

/** The defaults, chosen for a busy server on a good network (documented in docs/federation-fetch.md). */
export const DEFAULT_FETCH_OPTIONS: Readonly<FetchOptions> = Object.freeze({
  waitWindowMs: 500,
  attemptTimeoutMs: 5_000,
  maxOriginsPerFetch: 5,
  maxFetchMs: 60_000,
  maxInFlight: 64,
  maxInFlightPerDestination: 8,
  maxQueued: 5_000,
  maxPendingEvents: 10_000,
  gapWalkLimit: 200,
  getMissingEventsLimit: 20,
  backfillLimit: 100,
  hedgeDelayMs: null,
  maxHedges: 1,
  destinationBackoff: Object.freeze({ initialMs: 1_000, maxMs: 10 * 60_000, multiplier: 2 }),
  eventBackoff: Object.freeze({ initialMs: 10_000, maxMs: 60 * 60_000, multiplier: 2 }),
  liarPenaltyMs: 10 * 60_000,
  stateVoteServers: 3,
  maxStateIds: 50_000,
  maxTracked: 10_000,
});

const INTEGER_FIELDS = [
  'waitWindowMs',
  'attemptTimeoutMs',
  'maxFetchMs',
  'liarPenaltyMs',
  'maxTracked',
  'maxStateIds',
] as const;
const POSITIVE_FIELDS = [
  'maxOriginsPerFetch',
  'maxInFlight',
  'maxInFlightPerDestination',
  'maxQueued',
  'maxPendingEvents',
  'gapWalkLimit',
  'stateVoteServers',
] as const;

function invalid(message: string): ParleyError {
  return new ParleyError('invalid_option', message);
}

function checkBackoff(name: string, p: BackoffPolicy): void {
  if (!(p.initialMs > 0) || !(p.maxMs >= p.initialMs) || !(p.multiplier >= 1)) {
    throw invalid(`${name} needs initialMs > 0, maxMs >= initialMs and multiplier >= 1`);
  }
}

/**
 * Merges `options` over the defaults and checks them.
 *
 * @throws {@link ParleyError} `invalid_option` for a negative delay, a zero cap, or a protocol
 *   limit above what the server-server API allows (20 for `get_missing_events`, 100 for backfill).
 */
export function resolveFetchOptions(options: Partial<FetchOptions> = {}): FetchOptions {
  const o: FetchOptions = {
    ...DEFAULT_FETCH_OPTIONS,
    ...options,
    destinationBackoff: { ...DEFAULT_FETCH_OPTIONS.destinationBackoff, ...options.destinationBackoff },
    eventBackoff: { ...DEFAULT_FETCH_OPTIONS.eventBackoff, ...options.eventBackoff },
  };
  for (const k of INTEGER_FIELDS) {
    if (!Number.isFinite(o[k]) || o[k] < 0) throw invalid(`${k} must be a non-negative number`);
  }
  for (const k of POSITIVE_FIELDS) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw invalid(`${k} must be a positive integer`);
  }
  if (o.maxInFlightPerDestination > o.maxInFlight)
    throw invalid('maxInFlightPerDestination exceeds maxInFlight');
  if (
    !Number.isInteger(o.getMissingEventsLimit) ||
    o.getMissingEventsLimit < 1 ||
    o.getMissingEventsLimit > 20
  ) {
    throw invalid('getMissingEventsLimit must be 1..20');
  }
  if (!Number.isInteger(o.backfillLimit) || o.backfillLimit < 1 || o.backfillLimit > 100) {
    throw invalid('backfillLimit must be 1..100');
  }
  if (o.hedgeDelayMs !== null && !(o.hedgeDelayMs >= 0)) throw invalid('hedgeDelayMs must be >= 0 or null');
  if (!Number.isInteger(o.maxHedges) || o.maxHedges < 0)
    throw invalid('maxHedges must be a non-negative integer');
  if (!(o.attemptTimeoutMs > 0)) throw invalid('attemptTimeoutMs must be > 0');
  checkBackoff('destinationBackoff', o.destinationBackoff);
  checkBackoff('eventBackoff', o.eventBackoff);
  return o;
}
