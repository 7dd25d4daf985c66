import { isParleyError, ParleyError, throwIfAborted } from '../errors.js';
import type { Random } from '../io.js';
import { BackfillJob, rankBackfillServers } from './backfill.js';
import { BackoffTable, LiarMarks } from './backoff.js';
import { safeVerify } from './batch.js';
import type { FetchContext, FetchWaiter } from './context.js';
import { EvalGraph, type EvalMode } from './eval-graph.js';
import { evaluateNext } from './evaluate.js';
import { EventFetcher } from './event-fetch.js';
import { GapWalker } from './gap-walk.js';
import { createFetchMetrics, type FetchMetrics } from './metrics.js';
import { type FetchOptions, resolveFetchOptions } from './options.js';
import { JobQueue, RequestTable } from './requests.js';
import { StateFetch } from './state-fetch.js';
import { TicketBook } from './tickets.js';
import type { FetchHost, FetchOutput, FetchPdu, FetchResponse, PduAdmission, PduVerifier } from './types.js';

/** What a {@link FetchScheduler} is built from. */
export interface FetchSchedulerInit<P extends FetchPdu = FetchPdu> {
  /** Our server name: never asked for anything. */
  serverName: string;
  host: FetchHost<P>;
  verifier: PduVerifier<P>;
  /** Origin choice and backoff jitter. */
  random: Random;
  options?: Partial<FetchOptions>;
}

/** Sizes of the scheduler's queues, for monitoring and tests. */
export interface FetchSchedulerStats {
  inFlight: number;
  queued: number;
  fetching: number;
  pendingEvents: number;
  walks: number;
}

// A fetch for a dependency of an outlier keeps itself alive; its outcome reaches the graph directly.
const DEPENDENCY: FetchWaiter = { fetched() {}, failed() {} };

/**
 * The event fetch scheduler (Construct's fetch unit, sans-IO in the quinn-proto shape): it takes
 * events, answers and the current time in (`handlePdu`, `handleResponse`, `handleTimeout`), and
 * gives federation requests and evaluated events out (`poll`), with the next deadline from
 * `pollTimeout`. It never reads a clock, sets a timer or does IO.
 *
 * Evaluation is its own step: `poll()` evaluates one ready event at a time (after every queued
 * request and notice), so the caller stores each `evaluated` event before the next one is
 * authorized against a state that includes it.
 */
export class FetchScheduler<P extends FetchPdu = FetchPdu> {
  readonly #ctx: FetchContext<P>;
  readonly #fetcher: EventFetcher<P>;
  readonly #walker: GapWalker<P>;
  readonly #tickets: TicketBook<P>;
  readonly #out: FetchOutput<P>[] = [];
  #outHead = 0;
  #now = Number.NEGATIVE_INFINITY;

  constructor(init: FetchSchedulerInit<P>) {
    const options = resolveFetchOptions(init.options);
    const { host, random } = init;
    const metrics = createFetchMetrics();
    const destinations = new BackoffTable(options.destinationBackoff, random, options.maxTracked);
    const emit = (o: FetchOutput<P>): void => {
      this.#out.push(o);
    };
    const graph = new EvalGraph<P>(options.maxPendingEvents, options.maxTracked, (id) => host.has(id));
    const ctx: FetchContext<P> = {
      self: init.serverName,
      options,
      host,
      verifier: init.verifier,
      random,
      metrics,
      table: new RequestTable(options, metrics, destinations, emit),
      queue: new JobQueue(),
      destinations,
      events: new BackoffTable(options.eventBackoff, random, options.maxTracked),
      liars: new LiarMarks(options.liarPenaltyMs, options.maxTracked),
      graph,
      emit,
      avoided: (s, now) => destinations.isBackedOff(s, now) || ctx.liars.isMarked(s, now),
      roomServerNames: (roomId) => host.roomServers(roomId).map((s) => s.name),
      isKnown: (id) => graph.has(id) || graph.isDecided(id),
      admit: (now, id, pdu, mode, redacted, source) =>
        this.#admit(now, id, pdu, mode, redacted, source, false),
      fetchEvent: (now, roomId, id, hints, mode, waiter) =>
        this.#fetcher.request(now, roomId, id, hints, mode, waiter),
    };
    this.#ctx = ctx;
    this.#fetcher = new EventFetcher(ctx);
    this.#walker = new GapWalker(ctx);
    this.#tickets = new TicketBook(ctx);
  }

  /**
   * An event pushed to us (a `/send` transaction, or any other source): verified, then held until
   * its prev and auth events are here. Missing ones are awaited for `waitWindowMs`, then fetched.
   * If the event was being fetched, that fetch is cancelled. A copy whose content hash does not
   * match but whose redacted form is signed is accepted redacted, as the spec requires.
   *
   * @param opts `origin`: the server that sent it (asked first for what is missing); `roomId`:
   *   the room it must belong to (default: its own `room_id`).
   * @throws {@link ParleyError} `fetch_queue_full` when `maxPendingEvents` events are held.
   */
  handlePdu(now: number, json: unknown, opts: { origin: string; roomId?: string }): PduAdmission {
    this.#tick(now);
    const roomId = opts.roomId ?? (json as { room_id?: unknown } | null)?.room_id;
    if (typeof roomId !== 'string') return { ok: false, kind: 'malformed' };
    const r = safeVerify(this.#ctx.verifier, null, roomId, json);
    let pdu: P;
    let redacted = false;
    if (r.ok) pdu = r.pdu;
    else if (r.kind === 'hash_mismatch') {
      pdu = r.redacted;
      redacted = true;
    } else return { ok: false, kind: r.kind, ...(r.eventId === undefined ? {} : { eventId: r.eventId }) };
    const { graph } = this.#ctx;
    if (graph.has(r.eventId) || graph.isDecided(r.eventId))
      return { ok: true, eventId: r.eventId, duplicate: true };
    if (graph.full) {
      throw new ParleyError('fetch_queue_full', 'Too many events are waiting for evaluation', {
        httpStatus: 503,
      });
    }
    this.#admit(now, r.eventId, pdu, 'timeline', redacted, opts.origin, true);
    this.#pump(now);
    return { ok: true, eventId: r.eventId, duplicate: false };
  }

  /**
   * Asks for one event (e.g. a client's `/event/{eventId}` for an event we lack). Concurrent
   * requests for one id share a fetch. The answer is an `event_done` output with this ticket, once
   * the event is stored (or could not be had).
   *
   * @throws {@link ParleyError} `fetch_queue_full` when `maxQueued` fetches are in progress;
   *   `aborted` when `signal` is already aborted (aborting later cancels the ticket).
   */
  requestEvent(
    now: number,
    req: { roomId: string; eventId: string; hint?: string; signal?: AbortSignal },
  ): number {
    this.#tick(now);
    throwIfAborted(req.signal);
    const ticket = this.#tickets.open(
      now,
      req.roomId,
      req.eventId,
      req.hint,
      (t, id, roomId, hints, waiter) => this.#fetcher.request(t, roomId, id, hints, 'outlier', waiter),
    );
    const signal = req.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        this.cancel(ticket);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // A long-lived signal shared by many requests must not collect a listener per ticket.
      this.#tickets.onClose(ticket, () => signal.removeEventListener('abort', onAbort));
    }
    this.#pump(now);
    return ticket;
  }

  /**
   * Withdraws a ticket of {@link requestEvent}: no `event_done` will come for it, and the fetch is
   * cancelled if nobody else waits for it. False when the ticket is unknown or already answered.
   */
  cancel(ticket: number): boolean {
    const ok = this.#tickets.cancel(ticket, (id, waiter) => this.#fetcher.leave(id, waiter));
    if (this.#now > Number.NEGATIVE_INFINITY) this.#pump(this.#now);
    return ok;
  }

  /**
   * Fetches a room's state at `eventId`, or at the head most servers agree on. The answer is a
   * `state_done` (or `state_failed`) output with this ticket.
   *
   * @throws {@link ParleyError} `fetch_queue_full` when `maxQueued` jobs wait already.
   */
  fetchState(now: number, req: { roomId: string; eventId?: string }): number {
    this.#tick(now);
    this.#checkQueue();
    const ticket = this.#tickets.next();
    const servers = rankBackfillServers(this.#ctx.host.roomServers(req.roomId), this.#ctx.self);
    new StateFetch(this.#ctx, ticket, req.roomId, req.eventId, servers).start(now);
    this.#pump(now);
    return ticket;
  }

  /**
   * Pages history back (for `/messages` past what we hold): `backfill` from `from`, the backward
   * extremities, asking servers in the room longest first. The answer is a `backfill_done` (or
   * `backfill_failed`) output with this ticket, after every event it returns is evaluated.
   *
   * @throws {@link ParleyError} `M_INVALID_PARAM` for an empty or oversized `from` or a bad
   *   `limit`; `fetch_queue_full` when `maxQueued` jobs wait already.
   */
  backfill(now: number, req: { roomId: string; from: readonly string[]; limit?: number }): number {
    this.#tick(now);
    const limit = req.limit ?? this.#ctx.options.backfillLimit;
    if (req.from.length === 0 || req.from.length > 20 || !req.from.every((id) => typeof id === 'string')) {
      throw ParleyError.matrix('M_INVALID_PARAM', 'backfill needs 1..20 event ids to start from', 400);
    }
    if (!Number.isInteger(limit) || limit < 1 || limit > this.#ctx.options.backfillLimit) {
      throw ParleyError.matrix(
        'M_INVALID_PARAM',
        `backfill limit must be 1..${this.#ctx.options.backfillLimit}`,
        400,
      );
    }
    this.#checkQueue();
    const ticket = this.#tickets.next();
    new BackfillJob(this.#ctx, ticket, req.roomId, req.from, limit).start(now);
    this.#pump(now);
    return ticket;
  }

  /** Feeds back the answer to a request. False when the request is unknown, cancelled or timed out. */
  handleResponse(now: number, requestId: number, response: FetchResponse): boolean {
    this.#tick(now);
    const known = this.#ctx.table.handleResponse(now, requestId, response);
    this.#pump(now);
    return known;
  }

  /** Lets time pass: attempt timeouts, hedges, wait windows, backoffs that ended. */
  handleTimeout(now: number): void {
    this.#tick(now);
    this.#ctx.table.handleTimeout(now);
    this.#walker.handleTimeout(now);
    this.#pump(now);
  }

  /**
   * The next output: queued requests, cancels and notices first, then the next event evaluated in
   * topological order. `undefined` when there is nothing to do until an input or a deadline.
   */
  poll(): FetchOutput<P> | undefined {
    if (this.#outHead < this.#out.length) {
      const o = this.#out[this.#outHead++];
      if (this.#outHead === this.#out.length) {
        this.#out.length = 0;
        this.#outHead = 0;
      }
      return o;
    }
    return evaluateNext(this.#ctx);
  }

  /** The next deadline to call {@link handleTimeout} at; `undefined` when nothing is timed. */
  pollTimeout(): number | undefined {
    const ctx = this.#ctx;
    let min: number | undefined;
    const take = (t: number | undefined): void => {
      if (t !== undefined && (min === undefined || t < min)) min = t;
    };
    take(ctx.table.nextDeadline());
    take(this.#walker.nextDeadline());
    if (ctx.queue.size > 0) {
      take(ctx.queue.nextDeadline());
      take(ctx.destinations.nextExpiry(this.#now));
      take(ctx.liars.nextExpiry(this.#now));
    }
    return min;
  }

  /** A snapshot of the counters (a plain object; changing it changes nothing here). */
  get metrics(): FetchMetrics {
    return structuredClone(this.#ctx.metrics);
  }

  /** Queue sizes. */
  get stats(): FetchSchedulerStats {
    const ctx = this.#ctx;
    return {
      inFlight: ctx.table.size,
      queued: ctx.queue.size,
      fetching: this.#fetcher.size,
      pendingEvents: ctx.graph.size,
      walks: this.#walker.size,
    };
  }

  /** The backoff of a destination: consecutive failures and, while it lasts, its end. */
  destinationBackoff(destination: string, now: number): { failures: number; until: number | undefined } {
    const d = this.#ctx.destinations;
    return { failures: d.failures(destination), until: d.until(destination, now) };
  }

  /** The backoff of an event id nobody could give us. */
  eventBackoff(eventId: string, now: number): { failures: number; until: number | undefined } {
    const e = this.#ctx.events;
    return { failures: e.failures(eventId), until: e.until(eventId, now) };
  }

  /** Servers marked as liars (forged, altered or wrong events) at `now`. */
  liars(now: number): string[] {
    return this.#ctx.liars.marked(now);
  }

  #tick(now: number): void {
    if (!Number.isFinite(now)) throw new ParleyError('invalid_argument', '`now` must be a finite number');
    if (now > this.#now) this.#now = now;
  }

  #checkQueue(): void {
    if (this.#ctx.queue.size >= this.#ctx.options.maxQueued) {
      throw new ParleyError('fetch_queue_full', `${this.#ctx.options.maxQueued} fetches wait already`, {
        httpStatus: 503,
      });
    }
  }

  #pump(now: number): void {
    const { queue, table } = this.#ctx;
    queue.pump(now, () => table.hasCapacity());
  }

  #admit(
    now: number,
    eventId: string,
    pdu: P,
    mode: EvalMode,
    redacted: boolean,
    source: string | undefined,
    pushed: boolean,
  ): boolean {
    const { graph } = this.#ctx;
    if (graph.has(eventId) || graph.isDecided(eventId)) return true;
    let missing: ReturnType<typeof graph.add>;
    try {
      missing = graph.add(eventId, pdu, mode, redacted, source);
    } catch (e) {
      if (!isParleyError(e)) throw e;
      if (graph.isMissing(eventId)) {
        graph.giveUp(eventId);
        this.#ctx.emit({ type: 'backward_extremity', roomId: pdu.room_id, eventIds: [eventId] });
      }
      return false;
    }
    this.#fetcher.arrived(now, eventId);
    const hints = source === undefined ? [] : [source];
    let walk = false;
    for (const m of missing) {
      if (m.timeline) {
        walk = true;
        continue;
      }
      try {
        this.#fetcher.request(now, pdu.room_id, m.id, hints, 'outlier', DEPENDENCY);
      } catch (e) {
        if (!isParleyError(e)) throw e;
        graph.giveUp(m.id);
      }
    }
    if (walk) this.#walker.noteMissing(now, pdu.room_id, source, !pushed);
    return true;
  }
}
