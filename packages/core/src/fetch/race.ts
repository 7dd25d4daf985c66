import type { FetchContext } from './context.js';
import { chooseOrigin, type OriginChoice } from './origin.js';
import type { Attempt, AttemptOwner, Job } from './requests.js';
import type {
  FetchFailReason,
  FetchPdu,
  FetchRequestKind,
  FetchRequestParams,
  FetchResponse,
} from './types.js';

/** What one {@link OriginRace} asks and how it judges answers. */
export interface RaceSpec<K extends FetchRequestKind> {
  readonly roomId: string;
  readonly kind: K;
  params(destination: string): FetchRequestParams[K];
  /** Servers to ask first, best first (read at every choice, so it may grow). */
  preferred(): readonly string[];
  /** Origins tried at most. */
  readonly maxOrigins: number;
  /** Ask only the preferred servers, never a random other one. */
  readonly onlyPreferred?: boolean;
  /** Whether slow attempts are hedged (when the scheduler has a hedge delay). */
  readonly hedge: boolean;
  /** Checks an answer: `won` ends the race; `lost` tries the next origin. */
  judge(now: number, destination: string, body: unknown): 'won' | 'lost';
  /** Called once when the race ends, unless it was cancelled. */
  finished(
    now: number,
    outcome: { ok: true; destination: string } | { ok: false; reason: FetchFailReason },
  ): void;
}

/**
 * One logical request tried against origins in turn (hint first, then others): a per-attempt
 * timeout moves on to the next origin, hedging starts the next one early, the first answer judged
 * good wins and the others are cancelled. A poisoned answer never wins.
 */
export class OriginRace<P extends FetchPdu, K extends FetchRequestKind> implements AttemptOwner, Job {
  readonly #ctx: FetchContext<P>;
  readonly #spec: RaceSpec<K>;
  readonly #tried = new Set<string>();
  readonly #active = new Map<number, Attempt>();
  readonly giveUpAt: number;
  readonly roomId: string;
  #done = false;
  /** A hedge is due but found no capacity: it waits in the queue for some. */
  #hedgeWanted = false;

  constructor(ctx: FetchContext<P>, spec: RaceSpec<K>, now: number) {
    this.#ctx = ctx;
    this.#spec = spec;
    this.giveUpAt = now + ctx.options.maxFetchMs;
    this.roomId = spec.roomId;
  }

  /** True once the race is won, lost or cancelled. */
  get done(): boolean {
    return this.#done;
  }

  /** Servers asked so far. */
  get tried(): ReadonlySet<string> {
    return this.#tried;
  }

  /** Starts the first attempt (or queues the race until capacity frees). */
  start(now: number): void {
    this.#advance(now);
  }

  /** Stops the race without calling `finished`; running attempts are cancelled. */
  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#ctx.queue.remove(this);
    for (const id of [...this.#active.keys()]) this.#ctx.table.cancel(id);
    this.#active.clear();
  }

  tryStart(now: number): boolean {
    if (this.#done) return true;
    if (this.#active.size > 0) {
      if (this.#hedgeWanted) this.#hedge(now);
      return !this.#hedgeWanted;
    }
    this.#hedgeWanted = false;
    this.#advance(now);
    return !this.#ctx.queue.has(this);
  }

  onAnswer(now: number, attempt: Attempt, response: FetchResponse): void {
    this.#active.delete(attempt.request.id);
    if (this.#done) return;
    if (response.ok) {
      const dest = attempt.request.destination;
      if (this.#spec.judge(now, dest, response.body) === 'won') {
        this.#ctx.metrics.succeeded++;
        this.#finish(now, { ok: true, destination: dest });
        return;
      }
    }
    this.#advance(now);
  }

  onTimeout(now: number, attempt: Attempt): void {
    this.#active.delete(attempt.request.id);
    if (!this.#done) this.#advance(now);
  }

  onHedge(now: number, _attempt: Attempt): void {
    this.#hedgeWanted = true;
    this.#hedge(now);
    if (this.#hedgeWanted) this.#ctx.queue.add(this);
  }

  #hedge(now: number): void {
    if (
      this.#done ||
      this.#active.size > this.#ctx.options.maxHedges ||
      this.#tried.size >= this.#spec.maxOrigins
    ) {
      this.#hedgeWanted = false;
      return;
    }
    const choice = this.#choose(now);
    if (choice.kind === 'busy') return; // stays wanted until capacity frees
    this.#hedgeWanted = false;
    if (choice.kind === 'chosen') {
      this.#ctx.metrics.hedged++;
      this.#launch(now, choice.server);
    }
  }

  #choose(now: number): OriginChoice {
    const ctx = this.#ctx;
    const others = this.#spec.onlyPreferred ? [] : ctx.roomServerNames(this.#spec.roomId);
    return chooseOrigin(this.#spec.preferred(), others, ctx.random, {
      self: ctx.self,
      tried: this.#tried,
      avoided: (s) => ctx.avoided(s, now),
      hasCapacity: (s) => ctx.table.canStart(s),
      slow: (s) => ctx.table.isSlow(s, now),
    });
  }

  #advance(now: number): void {
    if (this.#done || this.#active.size > 0) return;
    const ctx = this.#ctx;
    if (this.#tried.size >= this.#spec.maxOrigins) {
      this.#finish(now, { ok: false, reason: 'exhausted' });
      return;
    }
    const choice = this.#choose(now);
    if (choice.kind === 'chosen') {
      ctx.queue.remove(this);
      this.#launch(now, choice.server);
    } else if (choice.kind === 'busy' || (choice.kind === 'none' && choice.later && now < this.giveUpAt)) {
      ctx.queue.add(this);
    } else if (choice.kind === 'none' && choice.later) {
      this.#finish(now, { ok: false, reason: 'timeout' });
    } else {
      this.#finish(now, { ok: false, reason: this.#tried.size > 0 ? 'exhausted' : 'no_origin' });
    }
  }

  #launch(now: number, destination: string): void {
    this.#tried.add(destination);
    const hedge = this.#spec.hedge && this.#ctx.options.hedgeDelayMs !== null;
    const a = this.#ctx.table.start(
      now,
      destination,
      this.#spec.kind,
      this.#spec.params(destination),
      this,
      hedge,
    );
    this.#active.set(a.request.id, a);
  }

  #finish(
    now: number,
    outcome: { ok: true; destination: string } | { ok: false; reason: FetchFailReason },
  ): void {
    this.#done = true;
    this.#ctx.queue.remove(this);
    for (const id of [...this.#active.keys()]) this.#ctx.table.cancel(id);
    this.#active.clear();
    this.#spec.finished(now, outcome);
  }
}
