import { ParleyError } from '../errors.js';
import { arrayField, isLie, safeVerify } from './batch.js';
import type { FetchContext, FetchWaiter } from './context.js';
import type { EvalMode } from './eval-graph.js';
import { countFailure } from './metrics.js';
import { serverOf } from './origin.js';
import { OriginRace } from './race.js';
import type { FetchFailReason, FetchPdu } from './types.js';

const MODE_RANK: Record<EvalMode, number> = { outlier: 0, backfill: 1, timeline: 2 };

/** One event id being fetched, shared by everyone who wants it. */
interface EventFetch<P extends FetchPdu> {
  readonly eventId: string;
  readonly roomId: string;
  readonly hints: string[];
  mode: EvalMode;
  readonly waiters: Set<FetchWaiter>;
  race: OriginRace<P, 'event'>;
  /** The copy to keep, with the server that gave it. */
  result?: { pdu: P; redacted: boolean; from: string };
  /** A redacted copy from a server that is not the event's origin: used only if no intact copy turns up. */
  fallback?: { pdu: P; from: string };
}

/**
 * Single-flight `/event` fetches: concurrent requests for one id share one fetch and one result;
 * the fetch is cancelled when its last waiter leaves or when the event arrives by other means.
 * Every answer is verified (id, room, hash, signature, size) before it counts.
 */
export class EventFetcher<P extends FetchPdu> {
  readonly #ctx: FetchContext<P>;
  readonly #fetches = new Map<string, EventFetch<P>>();

  constructor(ctx: FetchContext<P>) {
    this.#ctx = ctx;
  }

  /** Fetches in progress (running or queued). */
  get size(): number {
    return this.#fetches.size;
  }

  /** True when `eventId` is being fetched. */
  isFetching(eventId: string): boolean {
    return this.#fetches.has(eventId);
  }

  /**
   * Adds `waiter` to the fetch of `eventId`, starting it if needed. A failure that is known at once
   * (per-event backoff, no origin) is reported to the waiter before this returns.
   *
   * @throws {@link ParleyError} `fetch_queue_full` when `maxQueued` fetches are in progress.
   */
  request(
    now: number,
    roomId: string,
    eventId: string,
    hints: readonly string[],
    mode: EvalMode,
    waiter: FetchWaiter,
  ): void {
    const ctx = this.#ctx;
    const existing = this.#fetches.get(eventId);
    if (existing !== undefined) {
      ctx.metrics.deduplicated++;
      existing.waiters.add(waiter);
      for (const h of hints) if (!existing.hints.includes(h)) existing.hints.push(h);
      if (MODE_RANK[mode] > MODE_RANK[existing.mode]) existing.mode = mode;
      return;
    }
    if (ctx.events.isBackedOff(eventId, now)) {
      this.#giveUp(roomId, eventId, 'backoff');
      waiter.failed(now, eventId, 'backoff');
      return;
    }
    if (this.#fetches.size >= ctx.options.maxQueued) {
      throw new ParleyError('fetch_queue_full', `${ctx.options.maxQueued} event fetches are in progress`, {
        httpStatus: 503,
      });
    }
    const idServer = serverOf(eventId);
    const fetch: EventFetch<P> = {
      eventId,
      roomId,
      hints: idServer === undefined ? [...hints] : [...hints, idServer],
      mode,
      waiters: new Set([waiter]),
      race: undefined as unknown as OriginRace<P, 'event'>,
    };
    fetch.race = new OriginRace<P, 'event'>(
      ctx,
      {
        roomId,
        kind: 'event',
        params: () => ({ roomId, eventId }),
        preferred: () => fetch.hints,
        maxOrigins: ctx.options.maxOriginsPerFetch,
        hedge: true,
        judge: (t, dest, body) => this.#judge(t, fetch, dest, body),
        finished: (t, outcome) => this.#finished(t, fetch, outcome.ok ? undefined : outcome.reason),
      },
      now,
    );
    this.#fetches.set(eventId, fetch);
    fetch.race.start(now);
  }

  /** Removes a waiter; the fetch is cancelled when none is left. */
  leave(eventId: string, waiter: FetchWaiter): void {
    const fetch = this.#fetches.get(eventId);
    if (fetch === undefined || !fetch.waiters.delete(waiter) || fetch.waiters.size > 0) return;
    this.#fetches.delete(eventId);
    fetch.race.cancel();
    this.#ctx.metrics.cancelled++;
  }

  /** The event arrived by other means (and is held already): its fetch stops and waiters are told. */
  arrived(now: number, eventId: string): void {
    const fetch = this.#fetches.get(eventId);
    if (fetch === undefined) return;
    this.#fetches.delete(eventId);
    fetch.race.cancel();
    this.#ctx.metrics.cancelled++;
    for (const w of fetch.waiters) w.fetched(now, eventId);
  }

  #judge(now: number, fetch: EventFetch<P>, dest: string, body: unknown): 'won' | 'lost' {
    const ctx = this.#ctx;
    const pdus = arrayField(body, 'pdus');
    if (pdus === undefined || pdus.length !== 1) {
      countFailure(ctx.metrics, 'bad_response');
      return 'lost';
    }
    const r = safeVerify(ctx.verifier, fetch.eventId, fetch.roomId, pdus[0]);
    if (r.ok) {
      fetch.result = { pdu: r.pdu, redacted: false, from: dest };
      return 'won';
    }
    countFailure(ctx.metrics, r.kind);
    if (r.kind === 'hash_mismatch') {
      // The origin itself serving a redacted copy is authoritative; anyone else may have redacted it.
      if (serverOf(r.redacted.sender) === dest) {
        fetch.result = { pdu: r.redacted, redacted: true, from: dest };
        return 'won';
      }
      fetch.fallback ??= { pdu: r.redacted, from: dest };
    } else if (isLie(r.kind)) {
      ctx.liars.mark(dest, now);
    }
    return 'lost';
  }

  #finished(now: number, fetch: EventFetch<P>, reason: FetchFailReason | undefined): void {
    const ctx = this.#ctx;
    this.#fetches.delete(fetch.eventId);
    const got = reason === undefined ? fetch.result : fetch.fallback && { ...fetch.fallback, redacted: true };
    if (got !== undefined) {
      ctx.events.succeed(fetch.eventId);
      const held =
        ctx.isKnown(fetch.eventId) ||
        ctx.admit(now, fetch.eventId, got.pdu, fetch.mode, got.redacted, got.from);
      if (held) {
        for (const w of fetch.waiters) w.fetched(now, fetch.eventId);
        return;
      }
    }
    const why = reason ?? 'exhausted';
    ctx.events.fail(fetch.eventId, now);
    ctx.metrics.fetchesFailed++;
    this.#giveUp(fetch.roomId, fetch.eventId, why);
    for (const w of fetch.waiters) w.failed(now, fetch.eventId, why);
  }

  // Events waiting on an id nobody could give us go on without it (see EvalGraph.giveUp).
  #giveUp(roomId: string, eventId: string, reason: FetchFailReason): void {
    const ctx = this.#ctx;
    if (!ctx.graph.isMissing(eventId)) return;
    ctx.graph.giveUp(eventId);
    ctx.emit({ type: 'fetch_failed', roomId, eventId, reason });
  }
}
