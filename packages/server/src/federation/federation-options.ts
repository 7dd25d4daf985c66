import type { OptionKind, OptionSpec } from '../config/options.js';

/** The federation settings of {@link ServerConfig} (docs/configuration.md, "Federation"). */
export interface FederationConfig {
  /** Outgoing federation requests (transactions, key fetches, joins) give up after this long. */
  federationRequestTimeoutMs: number;
  /** Largest response body read from another server. */
  federationMaxResponseBytes: number;
  /** How far ahead our published keys' `valid_until_ts` lies. */
  federationKeyValidityMs: number;
  /** Other servers' key sets kept in memory (least recently used dropped first). */
  federationKeyCacheSize: number;
  /** After a failed key fetch, a server's keys are not fetched again for this long. */
  federationKeyRetryMs: number;
  /** PDUs queued for one destination; past it the oldest are dropped (the peer fills the gap by fetching). */
  federationQueueMaxPdus: number;
  /** First retry delay of a failed transaction (doubled per failure, full jitter). */
  federationRetryInitialMs: number;
  /** Cap on the retry delay of a destination. */
  federationRetryMaxMs: number;
  /** Wait for missing prev events to arrive by themselves before fetching them. */
  federationFetchWaitMs: number;
  /** Per-attempt timeout of the fetch scheduler. */
  federationFetchTimeoutMs: number;
  /** How long `/send` waits for its PDUs to be evaluated before answering (the rest go on). */
  federationSendWaitMs: number;
  /** Event ids remembered as stored, so the fetch scheduler never asks storage synchronously. */
  federationKnownEventsCache: number;
  /** How long `/messages` waits for a backfill from other servers. */
  federationBackfillTimeoutMs: number;
  /** Events one gap walk fetches; older missing ones are left to backfill (docs/federation-fetch.md). */
  federationGapWalkLimit: number;
}

const int = (min: number, max: number): OptionKind => ({ type: 'int', min, max });
const DAY_MS = 86_400_000;

/** The rows of the settings table for federation (appended to `OPTIONS`). */
export const FEDERATION_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'federationRequestTimeoutMs',
    env: 'PARLEY_FEDERATION_REQUEST_TIMEOUT_MS',
    kind: int(100, 600_000),
    default: 10_000,
  },
  {
    key: 'federationMaxResponseBytes',
    env: 'PARLEY_FEDERATION_MAX_RESPONSE_BYTES',
    kind: int(65_536, 1024 * 1024 * 1024),
    default: 32 * 1024 * 1024,
  },
  {
    key: 'federationKeyValidityMs',
    env: 'PARLEY_FEDERATION_KEY_VALIDITY_MS',
    kind: int(60_000, 30 * DAY_MS),
    default: DAY_MS,
  },
  {
    key: 'federationKeyCacheSize',
    env: 'PARLEY_FEDERATION_KEY_CACHE_SIZE',
    kind: int(1, 1_000_000),
    default: 1000,
  },
  {
    key: 'federationKeyRetryMs',
    env: 'PARLEY_FEDERATION_KEY_RETRY_MS',
    kind: int(0, DAY_MS),
    default: 30_000,
  },
  {
    key: 'federationQueueMaxPdus',
    env: 'PARLEY_FEDERATION_QUEUE_MAX_PDUS',
    kind: int(1, 1_000_000),
    default: 1000,
  },
  {
    key: 'federationRetryInitialMs',
    env: 'PARLEY_FEDERATION_RETRY_INITIAL_MS',
    kind: int(10, DAY_MS),
    default: 1000,
  },
  {
    key: 'federationRetryMaxMs',
    env: 'PARLEY_FEDERATION_RETRY_MAX_MS',
    kind: int(10, DAY_MS),
    default: 600_000,
  },
  {
    key: 'federationFetchWaitMs',
    env: 'PARLEY_FEDERATION_FETCH_WAIT_MS',
    kind: int(0, 60_000),
    default: 500,
  },
  {
    key: 'federationFetchTimeoutMs',
    env: 'PARLEY_FEDERATION_FETCH_TIMEOUT_MS',
    kind: int(100, 600_000),
    default: 5000,
  },
  {
    key: 'federationSendWaitMs',
    env: 'PARLEY_FEDERATION_SEND_WAIT_MS',
    kind: int(0, 600_000),
    default: 5000,
  },
  {
    key: 'federationKnownEventsCache',
    env: 'PARLEY_FEDERATION_KNOWN_EVENTS_CACHE',
    kind: int(1000, 10_000_000),
    default: 100_000,
  },
  {
    key: 'federationBackfillTimeoutMs',
    env: 'PARLEY_FEDERATION_BACKFILL_TIMEOUT_MS',
    kind: int(100, 600_000),
    default: 10_000,
  },
  {
    key: 'federationGapWalkLimit',
    env: 'PARLEY_FEDERATION_GAP_WALK_LIMIT',
    kind: int(1, 1_000_000),
    default: 200,
  },
];
