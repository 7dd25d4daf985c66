/**
 * The seed's behaviour, as a baseline for the fetch benchmark: Construct's fetch unit fetched each
 * missing event on its own with `/event`, one after the other (the eval hook waited for each), from
 * a random server of the room, skipping ourselves, servers already tried for that event and servers
 * with an error on record. Same sans-IO surface as the scheduler, so the simulator drives both.
 */
import type { FetchHost, FetchOutput, FetchPdu, FetchResponse, PduVerifier, Random } from '@parley/core';
import type { SimFetcher } from '@parley/core/testing';

interface Current {
  roomId: string;
  eventId: string;
  requestId: number;
  destination: string;
  deadline: number;
  tried: Set<string>;
}

function pick(random: Random, n: number): number {
  const b = random.bytes(4);
  return Math.floor(
    ((((b[0] ?? 0) | ((b[1] ?? 0) << 8) | ((b[2] ?? 0) << 16)) + (b[3] ?? 0) * 0x1000000) / 2 ** 32) * n,
  );
}

export class OneAtATimeFetcher<P extends FetchPdu> implements SimFetcher<P> {
  readonly #self: string;
  readonly #host: FetchHost<P>;
  readonly #verifier: PduVerifier<P>;
  readonly #random: Random;
  readonly #timeoutMs: number;
  readonly #pending = new Map<string, P>();
  readonly #queue: Array<{ roomId: string; eventId: string }> = [];
  readonly #errored = new Set<string>();
  readonly #out: FetchOutput<P>[] = [];
  #current: Current | undefined;
  #nextId = 1;
  requests = 0;

  constructor(
    init: { serverName: string; host: FetchHost<P>; verifier: PduVerifier<P>; random: Random },
    timeoutMs = 5_000,
  ) {
    this.#self = init.serverName;
    this.#host = init.host;
    this.#verifier = init.verifier;
    this.#random = init.random;
    this.#timeoutMs = timeoutMs;
  }

  handlePdu(now: number, json: unknown, _opts: { origin: string }): unknown {
    const roomId = (json as { room_id: string }).room_id;
    const r = this.#verifier.verify(null, roomId, json);
    if (!r.ok) return r;
    this.#hold(r.eventId, r.pdu);
    this.#next(now);
    return r;
  }

  /** Asks for one event by id (queued behind the others). */
  requestEvent(now: number, roomId: string, eventId: string): void {
    this.#queue.push({ roomId, eventId });
    this.#next(now);
  }

  handleResponse(now: number, requestId: number, response: FetchResponse): boolean {
    const cur = this.#current;
    if (cur === undefined || cur.requestId !== requestId) return false;
    if (response.ok) {
      const pdus = (response.body as { pdus?: unknown[] } | null)?.pdus;
      const r = this.#verifier.verify(cur.eventId, cur.roomId, pdus?.[0]);
      if (r.ok) {
        this.#current = undefined;
        this.#hold(r.eventId, r.pdu);
        this.#next(now);
        return true;
      }
    } else if (response.status === undefined || response.status >= 500) {
      this.#errored.add(cur.destination);
    }
    this.#attempt(now, cur);
    return true;
  }

  handleTimeout(now: number): void {
    const cur = this.#current;
    if (cur === undefined || now < cur.deadline) return;
    this.#errored.add(cur.destination);
    this.#out.push({ type: 'cancel', requestId: cur.requestId });
    this.#attempt(now, cur);
  }

  poll(): FetchOutput<P> | undefined {
    const o = this.#out.shift();
    if (o !== undefined) return o;
    // Evaluate the shallowest held event whose prev and auth events are stored.
    let best: [string, P] | undefined;
    for (const [id, p] of this.#pending) {
      if (best !== undefined && p.depth >= best[1].depth) continue;
      if ([...p.prev_events, ...p.auth_events].every((d) => this.#host.has(d))) best = [id, p];
    }
    if (best === undefined) return undefined;
    const [eventId, pdu] = best;
    this.#pending.delete(eventId);
    return {
      type: 'evaluated',
      eventId,
      roomId: pdu.room_id,
      pdu,
      outlier: false,
      missingPrevs: [],
      redacted: false,
      backfilled: false,
    };
  }

  pollTimeout(): number | undefined {
    return this.#current?.deadline;
  }

  #hold(eventId: string, pdu: P): void {
    this.#pending.set(eventId, pdu);
    for (const d of [...pdu.prev_events, ...pdu.auth_events]) {
      if (!this.#host.has(d) && !this.#pending.has(d) && !this.#queue.some((q) => q.eventId === d)) {
        this.#queue.push({ roomId: pdu.room_id, eventId: d });
      }
    }
  }

  #next(now: number): void {
    while (this.#current === undefined && this.#queue.length > 0) {
      const q = this.#queue.shift() as { roomId: string; eventId: string };
      if (this.#host.has(q.eventId) || this.#pending.has(q.eventId)) continue;
      this.#attempt(now, { ...q, requestId: 0, destination: '', deadline: 0, tried: new Set() });
    }
  }

  #attempt(now: number, cur: Current): void {
    const servers = this.#host
      .roomServers(cur.roomId)
      .map((s) => s.name)
      .filter((s) => s !== this.#self && !cur.tried.has(s) && !this.#errored.has(s));
    if (servers.length === 0) {
      this.#current = undefined; // nobody left: the event stays missing
      this.#next(now);
      return;
    }
    const destination = servers[pick(this.#random, servers.length)] as string;
    cur.tried.add(destination);
    const requestId = this.#nextId++;
    this.#current = { ...cur, requestId, destination, deadline: now + this.#timeoutMs };
    this.requests++;
    this.#out.push({
      type: 'request',
      request: {
        id: requestId,
        destination,
        kind: 'event',
        params: { roomId: cur.roomId, eventId: cur.eventId },
        timeoutMs: this.#timeoutMs,
      },
    });
  }
}
