import type { BackoffTable } from './backoff.js';
import { type AttemptFailureKind, countFailure, type FetchMetrics, recordLatency } from './metrics.js';
import type { FetchOptions } from './options.js';
import type {
  FetchOutput,
  FetchRequest,
  FetchRequestKind,
  FetchRequestParams,
  FetchResponse,
} from './types.js';

/** One federation request in flight. */
export interface Attempt {
  readonly request: FetchRequest;
  readonly startedAt: number;
  readonly deadline: number;
  /** When to start a parallel attempt elsewhere, if hedging; cleared once it fired. */
  hedgeAt: number | undefined;
  readonly owner: AttemptOwner;
}

/** Whoever started an attempt hears how it ended. */
export interface AttemptOwner {
  /** An answer arrived (after the table updated backoff and metrics for transport failures). */
  onAnswer(now: number, attempt: Attempt, response: FetchResponse): void;
  /** No answer within the per-attempt timeout. */
  onTimeout(now: number, attempt: Attempt): void;
  /** The hedge delay passed without an answer. */
  onHedge(now: number, attempt: Attempt): void;
}

/** Classifies a failed response for metrics and backoff: 403/404 are answers, not outages. */
function classify(r: Extract<FetchResponse, { ok: false }>): { kind: AttemptFailureKind; backoff: boolean } {
  const s = r.status;
  if (s === undefined) return { kind: 'network', backoff: true };
  if (s === 429) return { kind: 'http_429', backoff: true };
  if (s >= 500) return { kind: 'http_5xx', backoff: true };
  if (s === 403) return { kind: 'http_403', backoff: false };
  if (s === 404) return { kind: 'http_404', backoff: false };
  return { kind: 'http_other', backoff: false };
}

/**
 * The requests in flight: caps (global and per destination), per-attempt timeouts, hedge timers,
 * per-destination backoff on transport failures, latency metrics.
 */
export class RequestTable {
  readonly #opts: FetchOptions;
  readonly #metrics: FetchMetrics;
  readonly #backoff: BackoffTable;
  readonly #emit: (o: FetchOutput<never>) => void;
  readonly #attempts = new Map<number, Attempt>();
  readonly #perDestination = new Map<string, number>();
  /** Destinations that let an attempt run past the hedge delay, until when they count as slow. */
  readonly #slowUntil = new Map<string, number>();
  #nextId = 1;

  constructor(
    opts: FetchOptions,
    metrics: FetchMetrics,
    backoff: BackoffTable,
    emit: (o: FetchOutput<never>) => void,
  ) {
    this.#opts = opts;
    this.#metrics = metrics;
    this.#backoff = backoff;
    this.#emit = emit;
  }

  /** Requests in flight. */
  get size(): number {
    return this.#attempts.size;
  }

  /** Requests in flight to `destination`. */
  inFlightTo(destination: string): number {
    return this.#perDestination.get(destination) ?? 0;
  }

  /** True when one more request fits under the global cap. */
  hasCapacity(): boolean {
    return this.#attempts.size < this.#opts.maxInFlight;
  }

  /** True when one more request to `destination` fits under both caps. */
  canStart(destination: string): boolean {
    return this.hasCapacity() && this.inFlightTo(destination) < this.#opts.maxInFlightPerDestination;
  }

  /** Emits a request. The caller checked {@link canStart}. */
  start<K extends FetchRequestKind>(
    now: number,
    destination: string,
    kind: K,
    params: FetchRequestParams[K],
    owner: AttemptOwner,
    hedge: boolean,
  ): Attempt {
    const request = { id: this.#nextId++, destination, kind, params, timeoutMs: this.#opts.attemptTimeoutMs };
    const hedgeDelay = this.#opts.hedgeDelayMs;
    const attempt: Attempt = {
      request: request as FetchRequest,
      startedAt: now,
      deadline: now + this.#opts.attemptTimeoutMs,
      hedgeAt: hedge && hedgeDelay !== null ? now + hedgeDelay : undefined,
      owner,
    };
    this.#attempts.set(request.id, attempt);
    this.#perDestination.set(destination, this.inFlightTo(destination) + 1);
    this.#metrics.started++;
    this.#emit({ type: 'request', request: attempt.request });
    return attempt;
  }

  /** Cancels an attempt whose answer is no longer wanted; the caller is told to abort it. */
  cancel(id: number): void {
    if (this.#remove(id) === undefined) return;
    this.#metrics.attemptsCancelled++;
    this.#emit({ type: 'cancel', requestId: id });
  }

  /** Feeds an answer back; false when the request is unknown (finished, cancelled or timed out). */
  handleResponse(now: number, id: number, response: FetchResponse): boolean {
    const attempt = this.#remove(id);
    if (attempt === undefined) return false;
    const dest = attempt.request.destination;
    if (response.ok) {
      this.#backoff.succeed(dest);
      recordLatency(this.#metrics, dest, now - attempt.startedAt, this.#opts.maxTracked);
    } else {
      const { kind, backoff } = classify(response);
      countFailure(this.#metrics, kind);
      if (backoff) this.#backoff.fail(dest, now, response.retryAfterMs ?? 0);
    }
    attempt.owner.onAnswer(now, attempt, response);
    return true;
  }

  /** Times out overdue attempts and fires due hedges. */
  handleTimeout(now: number): void {
    const due = [...this.#attempts.values()].filter(
      (a) => a.deadline <= now || (a.hedgeAt !== undefined && a.hedgeAt <= now),
    );
    for (const a of due) {
      if (!this.#attempts.has(a.request.id)) continue; // finished by an earlier callback
      if (a.deadline <= now) {
        this.#remove(a.request.id);
        countFailure(this.#metrics, 'timeout');
        this.#backoff.fail(a.request.destination, now);
        this.#emit({ type: 'cancel', requestId: a.request.id });
        a.owner.onTimeout(now, a);
      } else {
        a.hedgeAt = undefined;
        this.#markSlow(a.request.destination, now);
        a.owner.onHedge(now, a);
      }
    }
  }

  /** True when `destination` left an attempt unanswered past the hedge delay recently. */
  isSlow(destination: string, now: number): boolean {
    const u = this.#slowUntil.get(destination);
    return u !== undefined && u > now;
  }

  #markSlow(destination: string, now: number): void {
    this.#slowUntil.delete(destination);
    this.#slowUntil.set(destination, now + this.#opts.attemptTimeoutMs);
    if (this.#slowUntil.size > this.#opts.maxTracked) {
      const oldest = this.#slowUntil.keys().next().value;
      if (oldest !== undefined) this.#slowUntil.delete(oldest);
    }
  }

  /** The earliest timeout or hedge deadline. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const a of this.#attempts.values()) {
      const t = a.hedgeAt !== undefined && a.hedgeAt < a.deadline ? a.hedgeAt : a.deadline;
      if (min === undefined || t < min) min = t;
    }
    return min;
  }

  #remove(id: number): Attempt | undefined {
    const a = this.#attempts.get(id);
    if (a === undefined) return undefined;
    this.#attempts.delete(id);
    const d = a.request.destination;
    const n = this.inFlightTo(d) - 1;
    if (n > 0) this.#perDestination.set(d, n);
    else this.#perDestination.delete(d);
    return a;
  }
}

/** Work waiting for capacity (or for a destination's backoff to end). */
export interface Job {
  /** The room whose servers the job asks: jobs are served fairly across rooms. */
  readonly roomId: string;
  /** Tries to make progress; true when the job is done with the queue (started or finished). */
  tryStart(now: number): boolean;
  /** When the job gives up waiting. */
  readonly giveUpAt: number;
}

// Jobs of one room mostly wait for the same servers: after this many in a row stay blocked, the
// rest of that room's queue is left for the next pump, which keeps a pump cheap when thousands wait.
const BLOCKED_RUN = 32;

/**
 * The jobs waiting for capacity: first come, first served within a room, rooms in turn, so that a
 * room with thousands of waiting fetches does not hold up another room's one.
 */
export class JobQueue {
  readonly #rooms = new Map<string, Set<Job>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(job: Job): void {
    let set = this.#rooms.get(job.roomId);
    if (set === undefined) {
      set = new Set();
      this.#rooms.set(job.roomId, set);
    }
    if (!set.has(job)) {
      set.add(job);
      this.#size++;
    }
  }

  remove(job: Job): void {
    const set = this.#rooms.get(job.roomId);
    if (set === undefined || !set.delete(job)) return;
    this.#size--;
    if (set.size === 0) this.#rooms.delete(job.roomId);
  }

  has(job: Job): boolean {
    return this.#rooms.get(job.roomId)?.has(job) ?? false;
  }

  /** Lets waiting jobs start while capacity lasts; jobs past their give-up time finish regardless. */
  pump(now: number, hasCapacity: () => boolean): void {
    if (this.#size === 0) return;
    if ((this.nextDeadline() ?? Number.POSITIVE_INFINITY) <= now) {
      for (const set of [...this.#rooms.values()]) {
        for (const job of [...set]) if (job.giveUpAt <= now && job.tryStart(now)) this.remove(job);
      }
    }
    const rooms = [...this.#rooms.keys()];
    // Start with a different room each time so no room always goes first.
    const offset = rooms.length > 0 ? Math.abs(Math.floor(now)) % rooms.length : 0;
    for (let i = 0; i < rooms.length && hasCapacity(); i++) {
      const set = this.#rooms.get(rooms[(i + offset) % rooms.length] as string);
      if (set === undefined) continue;
      let blocked = 0;
      for (const job of [...set]) {
        if (!hasCapacity() || blocked >= BLOCKED_RUN) break;
        if (!set.has(job)) continue;
        if (job.tryStart(now)) {
          this.remove(job);
          blocked = 0;
        } else blocked++;
      }
    }
  }

  /** The earliest give-up time of a waiting job. */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const set of this.#rooms.values()) {
      for (const j of set) if (min === undefined || j.giveUpAt < min) min = j.giveUpAt;
    }
    return min;
  }
}
