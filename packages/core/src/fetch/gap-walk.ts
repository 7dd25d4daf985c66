import { isParleyError } from '../errors.js';
import { acceptReachable, arrayField, verifyBatch } from './batch.js';
import type { FetchContext, FetchWaiter } from './context.js';
import { countFailure } from './metrics.js';
import { serverOf } from './origin.js';
import { OriginRace } from './race.js';
import type { FetchFailReason, FetchPdu } from './types.js';

// Bounds on the id lists of one get_missing_events request.
const MAX_LATEST = 20;
const MAX_EARLIEST = 20;

/** One room's gap being filled. */
interface Walk<P extends FetchPdu> {
  readonly roomId: string;
  phase: 'waiting' | 'walking';
  waitUntil: number;
  /** Events this walk may still fetch. */
  budget: number;
  /** The server whose `get_missing_events` answer last helped: asked first next round. */
  winner: string | undefined;
  /** Servers that sent us events of this gap. */
  readonly sources: string[];
  gme: OriginRace<P, 'get_missing_events'> | undefined;
  /** Set once `get_missing_events` failed: the rest is fetched per id with `/event`. */
  perIdMode: boolean;
  readonly perId: Set<string>;
  readonly waiter: FetchWaiter;
}

/**
 * Fills gaps in the room DAG. When an event arrives whose `prev_events` are missing, the walk waits
 * `waitWindowMs` for them to come by other means, then pulls them with `get_missing_events` from the
 * sending server (rounds of up to 20, following the gap back), and, when that fails, with `/event`
 * per id from other servers in parallel. At most `gapWalkLimit` events are fetched; what is still
 * missing then is given up as backward extremities (backfill fills them on demand).
 */
export class GapWalker<P extends FetchPdu> {
  readonly #ctx: FetchContext<P>;
  readonly #walks = new Map<string, Walk<P>>();
  #advancing = new Set<Walk<P>>();
  #again = new Set<Walk<P>>();

  constructor(ctx: FetchContext<P>) {
    this.#ctx = ctx;
  }

  /** Rooms with a walk in progress. */
  get size(): number {
    return this.#walks.size;
  }

  /**
   * A timeline event of `roomId` waits on missing events. `source` is a server likely to have them;
   * `immediate` skips the wait window (the event came from the walk itself).
   */
  noteMissing(now: number, roomId: string, source: string | undefined, immediate: boolean): void {
    let walk = this.#walks.get(roomId);
    if (walk === undefined) {
      const waitFirst = !immediate && this.#ctx.options.waitWindowMs > 0;
      walk = this.#newWalk(now, roomId, waitFirst);
      this.#walks.set(roomId, walk);
    }
    if (source !== undefined && source !== this.#ctx.self && !walk.sources.includes(source)) {
      walk.sources.push(source);
    }
    if (walk.phase === 'walking') this.#advance(now, walk);
  }

  /** Starts walks whose wait window ended. */
  handleTimeout(now: number): void {
    for (const walk of [...this.#walks.values()]) {
      if (walk.phase === 'waiting' && walk.waitUntil <= now) {
        walk.phase = 'walking';
        this.#advance(now, walk);
      }
    }
  }

  /** When the earliest wait window ends (its deadline). */
  nextDeadline(): number | undefined {
    let min: number | undefined;
    for (const w of this.#walks.values()) {
      if (w.phase === 'waiting' && (min === undefined || w.waitUntil < min)) min = w.waitUntil;
    }
    return min;
  }

  #newWalk(now: number, roomId: string, waitFirst: boolean): Walk<P> {
    const walk: Walk<P> = {
      roomId,
      phase: waitFirst ? 'waiting' : 'walking',
      waitUntil: now + this.#ctx.options.waitWindowMs,
      budget: this.#ctx.options.gapWalkLimit,
      winner: undefined,
      sources: [],
      gme: undefined,
      perIdMode: false,
      perId: new Set(),
      waiter: {
        fetched: (t, id) => {
          walk.perId.delete(id);
          walk.budget--;
          this.#advance(t, walk);
        },
        failed: (t, id, _reason: FetchFailReason) => {
          walk.perId.delete(id);
          this.#ctx.emit({ type: 'backward_extremity', roomId, eventIds: [id] });
          this.#advance(t, walk);
        },
      },
    };
    return walk;
  }

  // Re-entrant calls (a fetch failing synchronously, an admitted event noting more gaps) are
  // folded into one more pass of the outer call.
  #advance(now: number, walk: Walk<P>): void {
    if (this.#advancing.has(walk)) {
      this.#again.add(walk);
      return;
    }
    this.#advancing.add(walk);
    try {
      do {
        this.#again.delete(walk);
        this.#step(now, walk);
      } while (this.#again.has(walk));
    } finally {
      this.#advancing.delete(walk);
    }
  }

  #step(now: number, walk: Walk<P>): void {
    const ctx = this.#ctx;
    if (walk.phase !== 'walking' || this.#walks.get(walk.roomId) !== walk) return;
    const frontier = ctx.graph.frontier(walk.roomId).filter((id) => !walk.perId.has(id));
    if (frontier.length === 0) {
      if (walk.gme === undefined && walk.perId.size === 0) this.#walks.delete(walk.roomId);
      return;
    }
    if (walk.budget - walk.perId.size <= 0) {
      if (walk.gme !== undefined) return;
      for (const id of frontier) ctx.graph.giveUp(id);
      ctx.emit({ type: 'backward_extremity', roomId: walk.roomId, eventIds: frontier });
      if (walk.perId.size === 0) this.#walks.delete(walk.roomId);
      return;
    }
    if (!walk.perIdMode) {
      if (walk.gme === undefined) this.#startGme(now, walk, frontier);
      return;
    }
    const room = walk.budget - walk.perId.size;
    for (const id of frontier.slice(0, room)) {
      walk.perId.add(id);
      try {
        ctx.fetchEvent(now, walk.roomId, id, [], 'timeline', walk.waiter);
      } catch (e) {
        if (!isParleyError(e)) throw e;
        walk.perId.delete(id); // queue full: this one waits for backfill
        ctx.graph.giveUp(id);
        ctx.emit({ type: 'backward_extremity', roomId: walk.roomId, eventIds: [id] });
      }
    }
  }

  #startGme(now: number, walk: Walk<P>, frontier: string[]): void {
    const ctx = this.#ctx;
    const latest = new Set<string>();
    for (const id of frontier) for (const d of ctx.graph.dependentsOf(id)) latest.add(d);
    // Ask first whoever answered last round, then the servers that sent us the events citing the
    // gap, then those events' origins (both had the gap's events when they sent them).
    const preferred: string[] = walk.winner === undefined ? [] : [walk.winner];
    const citing = [...latest].sort().map((d) => ctx.graph.held(d));
    for (const h of citing) if (h?.source !== undefined) preferred.push(h.source);
    for (const h of citing) {
      const server = h === undefined ? undefined : serverOf(h.pdu.sender);
      if (server !== undefined) preferred.push(server);
    }
    preferred.push(...walk.sources);
    const limit = Math.min(ctx.options.getMissingEventsLimit, walk.budget);
    const params = {
      roomId: walk.roomId,
      earliest_events: ctx.host.forwardExtremities(walk.roomId).slice(0, MAX_EARLIEST),
      latest_events: [...latest].sort().slice(0, MAX_LATEST),
      limit,
      min_depth: 0,
    };
    const race: OriginRace<P, 'get_missing_events'> = new OriginRace(
      ctx,
      {
        roomId: walk.roomId,
        kind: 'get_missing_events',
        params: () => params,
        preferred: () => preferred,
        maxOrigins: 1 + (ctx.options.hedgeDelayMs === null ? 0 : ctx.options.maxHedges),
        hedge: true,
        judge: (t, dest, body) => this.#judgeGme(t, walk, dest, body, limit),
        finished: (t, outcome) => {
          if (walk.gme === race) walk.gme = undefined;
          if (!outcome.ok) walk.perIdMode = true;
          this.#advance(t, walk);
        },
      },
      now,
    );
    walk.gme = race;
    race.start(now);
  }

  #judgeGme(now: number, walk: Walk<P>, dest: string, body: unknown, limit: number): 'won' | 'lost' {
    const ctx = this.#ctx;
    const list = arrayField(body, 'events');
    if (list === undefined) {
      countFailure(ctx.metrics, 'bad_response');
      return 'lost';
    }
    const batch = verifyBatch(ctx.verifier, ctx.metrics, walk.roomId, dest, list, limit);
    if (batch.lied) {
      ctx.liars.mark(dest, now);
      return 'lost';
    }
    const wanted = ctx.graph.frontier(walk.roomId);
    const accepted = acceptReachable(batch.events, wanted, (id) => ctx.isKnown(id));
    if (accepted.length === 0) return 'lost';
    walk.winner = dest;
    for (const [id, ev] of accepted) {
      if (walk.budget <= 0) break;
      if (ctx.admit(now, id, ev.pdu, 'timeline', ev.redacted, dest)) walk.budget--;
    }
    return 'won';
  }
}
