import { acceptReachable, arrayField, verifyBatch } from './batch.js';
import type { FetchContext } from './context.js';
import { countFailure } from './metrics.js';
import { OriginRace } from './race.js';
import type { FetchPdu, RoomServer } from './types.js';

/**
 * The order to ask servers for history: those in the room longest first (they hold the oldest
 * events), then the rest by name; never ourselves.
 */
export function rankBackfillServers(servers: readonly RoomServer[], self: string): string[] {
  return servers
    .filter((s) => s.name !== self)
    .slice()
    .sort((a, b) => {
      const ja = a.joinedAt ?? Number.POSITIVE_INFINITY;
      const jb = b.joinedAt ?? Number.POSITIVE_INFINITY;
      if (ja !== jb) return ja < jb ? -1 : 1;
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    })
    .map((s) => s.name);
}

/**
 * One `/messages` page back past what we hold: `backfill` from the room's servers, best first,
 * starting at the backward extremities `from`. Only `from` and their ancestors are accepted; they
 * are evaluated oldest first, and the call answers once every one of them is decided.
 */
export class BackfillJob<P extends FetchPdu> {
  readonly #ctx: FetchContext<P>;
  readonly #ticket: number;
  readonly #roomId: string;
  readonly #from: readonly string[];
  readonly #limit: number;
  #accepted: Array<[string, P]> = [];
  #outstanding = 0;
  #raceWon = false;
  #done = false;

  constructor(ctx: FetchContext<P>, ticket: number, roomId: string, from: readonly string[], limit: number) {
    this.#ctx = ctx;
    this.#ticket = ticket;
    this.#roomId = roomId;
    this.#from = from;
    this.#limit = limit;
  }

  start(now: number): void {
    const ctx = this.#ctx;
    const ranked = rankBackfillServers(ctx.host.roomServers(this.#roomId), ctx.self);
    new OriginRace<P, 'backfill'>(
      ctx,
      {
        roomId: this.#roomId,
        kind: 'backfill',
        params: () => ({ roomId: this.#roomId, v: [...this.#from], limit: this.#limit }),
        preferred: () => ranked,
        onlyPreferred: true,
        maxOrigins: ctx.options.maxOriginsPerFetch,
        hedge: true,
        judge: (t, dest, body) => this.#judge(t, dest, body),
        finished: (_t, outcome) => {
          if (!outcome.ok) {
            this.#finish(`backfill: ${outcome.reason}`);
            return;
          }
          this.#raceWon = true;
          this.#maybeDone();
        },
      },
      now,
    ).start(now);
  }

  #judge(now: number, dest: string, body: unknown): 'won' | 'lost' {
    const ctx = this.#ctx;
    const list = arrayField(body, 'pdus');
    if (list === undefined) {
      countFailure(ctx.metrics, 'bad_response');
      return 'lost';
    }
    const batch = verifyBatch(ctx.verifier, ctx.metrics, this.#roomId, dest, list, this.#limit);
    if (batch.lied) {
      ctx.liars.mark(dest, now);
      return 'lost';
    }
    const accepted = acceptReachable(batch.events, this.#from, (id) => ctx.isKnown(id));
    if (accepted.length === 0) return 'lost';
    for (const [id, ev] of accepted) {
      if (!ctx.admit(now, id, ev.pdu, 'backfill', ev.redacted, dest)) continue;
      this.#accepted.push([id, ev.pdu]);
      if (ctx.graph.onDecided(id, () => this.#settled())) this.#outstanding++;
    }
    return 'won';
  }

  #settled(): void {
    this.#outstanding--;
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#outstanding > 0 || this.#done || !this.#raceWon) return;
    const ctx = this.#ctx;
    const have = new Set(this.#accepted.map(([id]) => id));
    const extremities = new Set<string>();
    for (const [, pdu] of this.#accepted) {
      for (const p of pdu.prev_events) if (!have.has(p) && !ctx.isKnown(p)) extremities.add(p);
    }
    const newestFirst = [...this.#accepted]
      .sort(([ia, a], [ib, b]) => b.depth - a.depth || (ia < ib ? 1 : ia > ib ? -1 : 0))
      .map(([id]) => id);
    this.#done = true;
    ctx.emit({
      type: 'backfill_done',
      ticket: this.#ticket,
      roomId: this.#roomId,
      eventIds: newestFirst,
      backwardExtremities: [...extremities].sort(),
    });
  }

  #finish(reason: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#ctx.emit({ type: 'backfill_failed', ticket: this.#ticket, roomId: this.#roomId, reason });
  }
}
