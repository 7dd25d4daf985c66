import type { Random } from '../io.js';
import type { BackoffTable, LiarMarks } from './backoff.js';
import type { EvalGraph, EvalMode } from './eval-graph.js';
import type { FetchMetrics } from './metrics.js';
import type { FetchOptions } from './options.js';
import type { JobQueue, RequestTable } from './requests.js';
import type { FetchFailReason, FetchHost, FetchOutput, FetchPdu, PduVerifier } from './types.js';

/** Told how a shared event fetch ended (see `EventFetcher`). */
export interface FetchWaiter {
  /** The event is held for evaluation (or already stored). */
  fetched(now: number, eventId: string): void;
  failed(now: number, eventId: string, reason: FetchFailReason): void;
}

/** The shared state the scheduler's parts work on; one per scheduler. */
export interface FetchContext<P extends FetchPdu> {
  readonly self: string;
  readonly options: FetchOptions;
  readonly host: FetchHost<P>;
  readonly verifier: PduVerifier<P>;
  readonly random: Random;
  readonly metrics: FetchMetrics;
  readonly table: RequestTable;
  readonly queue: JobQueue;
  /** Per-destination backoff. */
  readonly destinations: BackoffTable;
  /** Per-event backoff. */
  readonly events: BackoffTable;
  readonly liars: LiarMarks;
  readonly graph: EvalGraph<P>;
  emit(output: FetchOutput<P>): void;
  /** True when the server is in backoff or marked as a liar at `now`. */
  avoided(server: string, now: number): boolean;
  /** Names of the room's servers, as the host lists them. */
  roomServerNames(roomId: string): string[];
  /** True when the event is stored, decided or held: it needs no fetch. */
  isKnown(eventId: string): boolean;
  /**
   * Holds a verified event for evaluation and starts fetching what it depends on; `source` is the
   * server it came from (the first origin to ask for its dependencies). False when the evaluation
   * queue is full (the event is dropped and its id given up).
   */
  admit(
    now: number,
    eventId: string,
    pdu: P,
    mode: EvalMode,
    redacted: boolean,
    source: string | undefined,
  ): boolean;
  /** Asks for an event through the single-flight fetcher. */
  fetchEvent(
    now: number,
    roomId: string,
    eventId: string,
    hints: readonly string[],
    mode: EvalMode,
    waiter: FetchWaiter,
  ): void;
}
