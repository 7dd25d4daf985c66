import { isParleyError } from '../errors.js';
import { arrayField, verifyBatch } from './batch.js';
import type { FetchContext, FetchWaiter } from './context.js';
import { voteHead } from './head-vote.js';
import { countFailure } from './metrics.js';
import { OriginRace } from './race.js';
import type { FetchPdu } from './types.js';

function stringList(body: unknown, field: string, max: number): string[] | undefined {
  const v = arrayField(body, field);
  if (v === undefined || v.length > max || !v.every((x) => typeof x === 'string')) return undefined;
  return v as string[];
}

/**
 * Fetches a room's state: the head (given, or chosen by vote over the servers' forward
 * extremities), `state_ids` at it, the auth chain in one `event_auth` request, then every state
 * event still missing with `/event` in parallel (bounded by the scheduler's caps). Everything is
 * evaluated as an outlier, auth chain first, in depth order.
 */
export class StateFetch<P extends FetchPdu> implements FetchWaiter {
  readonly #ctx: FetchContext<P>;
  readonly #ticket: number;
  readonly #roomId: string;
  readonly #servers: readonly string[];
  #head: string | undefined;
  #preferred: string[] = [];
  #stateIds: string[] = [];
  #authChainIds: string[] = [];
  readonly #outstanding = new Set<string>();
  readonly #missing: string[] = [];
  #collecting = false;
  #done = false;

  constructor(
    ctx: FetchContext<P>,
    ticket: number,
    roomId: string,
    head: string | undefined,
    servers: readonly string[],
  ) {
    this.#ctx = ctx;
    this.#ticket = ticket;
    this.#roomId = roomId;
    this.#head = head;
    this.#servers = servers;
  }

  start(now: number): void {
    if (this.#head === undefined) this.#vote(now);
    else this.#fetchIds(now);
  }

  #fail(reason: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#ctx.emit({ type: 'state_failed', ticket: this.#ticket, roomId: this.#roomId, reason });
  }

  #vote(now: number): void {
    const ctx = this.#ctx;
    const voters = this.#servers.filter((s) => s !== ctx.self && !ctx.avoided(s, now));
    const asked = voters.slice(0, ctx.options.stateVoteServers);
    if (asked.length === 0) {
      this.#fail('no_origin');
      return;
    }
    const answers: Array<{ server: string; prevs: string[] }> = [];
    let pending = asked.length;
    for (const server of asked) {
      new OriginRace<P, 'make_join'>(
        ctx,
        {
          roomId: this.#roomId,
          kind: 'make_join',
          params: () => ({ roomId: this.#roomId }),
          preferred: () => [server],
          onlyPreferred: true,
          maxOrigins: 1,
          hedge: false,
          judge: (_t, dest, body) => {
            const event = (body as { event?: unknown } | null)?.event;
            const prevs = stringList(event, 'prev_events', 20);
            if (prevs === undefined) {
              countFailure(ctx.metrics, 'bad_response');
              return 'lost';
            }
            answers.push({ server: dest, prevs });
            return 'won';
          },
          finished: (t) => {
            if (--pending > 0) return;
            const vote = voteHead(answers.map((a) => a.prevs));
            if (vote === undefined) {
              this.#fail('no_head');
              return;
            }
            this.#head = vote.head;
            this.#preferred = answers.filter((a) => a.prevs.includes(vote.head)).map((a) => a.server);
            this.#fetchIds(t);
          },
        },
        now,
      ).start(now);
    }
  }

  #fetchIds(now: number): void {
    const ctx = this.#ctx;
    const head = this.#head as string;
    const max = ctx.options.maxStateIds;
    new OriginRace<P, 'state_ids'>(
      ctx,
      {
        roomId: this.#roomId,
        kind: 'state_ids',
        params: () => ({ roomId: this.#roomId, eventId: head }),
        preferred: () => [...this.#preferred, ...this.#servers],
        maxOrigins: ctx.options.maxOriginsPerFetch,
        hedge: true,
        judge: (_t, dest, body) => {
          const pduIds = stringList(body, 'pdu_ids', max);
          const authIds = stringList(body, 'auth_chain_ids', max);
          if (pduIds === undefined || authIds === undefined) {
            countFailure(ctx.metrics, 'bad_response');
            return 'lost';
          }
          this.#stateIds = pduIds;
          this.#authChainIds = authIds;
          this.#preferred = [dest, ...this.#preferred.filter((s) => s !== dest)];
          return 'won';
        },
        finished: (t, outcome) => {
          if (!outcome.ok) this.#fail(`state_ids: ${outcome.reason}`);
          else this.#fetchAuthChain(t);
        },
      },
      now,
    ).start(now);
  }

  #fetchAuthChain(now: number): void {
    const ctx = this.#ctx;
    const wanted = new Set(this.#authChainIds.filter((id) => !ctx.isKnown(id)));
    if (wanted.size === 0) {
      this.#fetchEvents(now);
      return;
    }
    const head = this.#head as string;
    new OriginRace<P, 'event_auth'>(
      ctx,
      {
        roomId: this.#roomId,
        kind: 'event_auth',
        params: () => ({ roomId: this.#roomId, eventId: head }),
        preferred: () => this.#preferred,
        maxOrigins: ctx.options.maxOriginsPerFetch,
        hedge: true,
        judge: (t, dest, body) => {
          const list = arrayField(body, 'auth_chain');
          if (list === undefined) {
            countFailure(ctx.metrics, 'bad_response');
            return 'lost';
          }
          const batch = verifyBatch(
            ctx.verifier,
            ctx.metrics,
            this.#roomId,
            dest,
            list,
            ctx.options.maxStateIds,
          );
          if (batch.lied) {
            ctx.liars.mark(dest, t);
            return 'lost';
          }
          // Depth order: the auth chain is admitted root first, like the seed's sort by depth.
          const got = [...batch.events].filter(([id]) => wanted.has(id) && !ctx.isKnown(id));
          got.sort(([, a], [, b]) => a.pdu.depth - b.pdu.depth);
          for (const [id, ev] of got) ctx.admit(t, id, ev.pdu, 'outlier', ev.redacted, dest);
          return got.length > 0 ? 'won' : 'lost';
        },
        // Whatever event_auth did not give is fetched per id next.
        finished: (t) => this.#fetchEvents(t),
      },
      now,
    ).start(now);
  }

  #fetchEvents(now: number): void {
    const ctx = this.#ctx;
    this.#collecting = true;
    for (const id of new Set([...this.#authChainIds, ...this.#stateIds])) {
      if (ctx.graph.has(id)) this.#watch(id);
      else if (!ctx.isKnown(id)) {
        this.#outstanding.add(id);
        try {
          ctx.fetchEvent(now, this.#roomId, id, this.#preferred, 'outlier', this);
        } catch (e) {
          if (!isParleyError(e)) throw e;
          this.failed(now, id);
        }
      }
    }
    this.#collecting = false;
    this.#maybeDone();
  }

  #watch(id: string): void {
    this.#outstanding.add(id);
    this.#ctx.graph.onDecided(id, () => {
      this.#outstanding.delete(id);
      this.#maybeDone();
    });
  }

  fetched(_now: number, id: string): void {
    this.#outstanding.delete(id);
    if (this.#ctx.graph.has(id)) this.#watch(id);
    else this.#maybeDone();
  }

  failed(_now: number, id: string): void {
    this.#outstanding.delete(id);
    this.#missing.push(id);
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (this.#collecting || this.#done || this.#outstanding.size > 0) return;
    this.#done = true;
    this.#ctx.emit({
      type: 'state_done',
      ticket: this.#ticket,
      roomId: this.#roomId,
      eventId: this.#head as string,
      stateIds: this.#stateIds,
      authChainIds: this.#authChainIds,
      missing: this.#missing,
    });
  }
}
