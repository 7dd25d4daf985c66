import {
  type Clock,
  createPduVerifier,
  type FetchOutput,
  type FetchRequest,
  type FetchResponse,
  FetchScheduler,
  type PDU,
  type PduAdmission,
  type Random,
} from '@parley/core';
import type { Logger } from 'pino';
import type { EventSink } from './event-sink.js';
import type { FederationClient, FederationRequestInit } from './federation-client.js';
import { seg } from './federation-client.js';
import type { KeyRing } from './keys/key-ring.js';
import { citedIds, type KnownEvents, pdusOf, signingKeysOf } from './known-events.js';
import type { RoomCache } from './room-cache.js';

/** What a {@link FetchDriver} is built from. */
export interface FetchDriverDeps {
  serverName: string;
  clock: Clock;
  random: Random;
  client: FederationClient;
  keys: KeyRing;
  known: KnownEvents;
  rooms: RoomCache;
  sink: EventSink;
  logger: Logger;
  waitWindowMs: number;
  attemptTimeoutMs: number;
  gapWalkLimit: number;
}

/** The answer of {@link FetchDriver.backfill}. */
export interface BackfillResult {
  eventIds: string[];
  backwardExtremities: string[];
}

const FEDERATION = '/_matrix/federation/v1';
// The user our make_join (the scheduler's head vote) asks for; never a real account.
const HEAD_VOTE_LOCALPART = '_parley_federation';

function requestInit(req: FetchRequest, serverName: string): FederationRequestInit {
  switch (req.kind) {
    case 'event':
      return { method: 'GET', path: `${FEDERATION}/event/${seg(req.params.eventId)}` };
    case 'get_missing_events': {
      const { roomId, ...body } = req.params;
      return { method: 'POST', path: `${FEDERATION}/get_missing_events/${seg(roomId)}`, body };
    }
    case 'state_ids':
      return {
        method: 'GET',
        path: `${FEDERATION}/state_ids/${seg(req.params.roomId)}?event_id=${seg(req.params.eventId)}`,
      };
    case 'event_auth':
      return {
        method: 'GET',
        path: `${FEDERATION}/event_auth/${seg(req.params.roomId)}/${seg(req.params.eventId)}`,
      };
    case 'backfill': {
      const q = req.params.v.map((v) => `v=${seg(v)}`).join('&');
      return {
        method: 'GET',
        path: `${FEDERATION}/backfill/${seg(req.params.roomId)}?${q}&limit=${req.params.limit}`,
      };
    }
    case 'make_join':
      return {
        method: 'GET',
        path: `${FEDERATION}/make_join/${seg(req.params.roomId)}/${seg(`@${HEAD_VOTE_LOCALPART}:${serverName}`)}?ver=11`,
      };
  }
}

/**
 * Runs core's {@link FetchScheduler} in the server: a Node timer at `pollTimeout()`, its
 * `request` outputs sent as signed federation requests (each with an AbortSignal, cancelled on
 * `cancel`), their answers fed back once the keys and stored-event facts they need are loaded,
 * and its evaluated events handed, one at a time and in order, to the {@link EventSink}.
 */
export class FetchDriver {
  readonly scheduler: FetchScheduler<PDU>;
  readonly #d: FetchDriverDeps;
  readonly #aborts = new Map<number, AbortController>();
  readonly #backfills = new Map<
    number,
    { resolve: (r: BackfillResult) => void; reject: (e: Error) => void }
  >();
  #timer: NodeJS.Timeout | undefined;
  #timerAt: number | undefined;
  #draining = false;
  #dirty = false;
  #closed = false;
  /** Resolves when the current drain is over (for tests and shutdown). */
  #drained: Promise<void> = Promise.resolve();

  constructor(deps: FetchDriverDeps) {
    this.#d = deps;
    this.scheduler = new FetchScheduler<PDU>({
      serverName: deps.serverName,
      random: deps.random,
      verifier: createPduVerifier((server, keyId) => deps.keys.lookup(server, keyId)),
      options: {
        waitWindowMs: deps.waitWindowMs,
        attemptTimeoutMs: deps.attemptTimeoutMs,
        gapWalkLimit: deps.gapWalkLimit,
      },
      host: {
        has: (id) => deps.known.has(id),
        roomServers: (roomId) => deps.rooms.servers(roomId),
        forwardExtremities: (roomId) => deps.rooms.extremities(roomId),
        // The authorization rules need stored auth events, which storage answers asynchronously:
        // the sink checks each event as it stores it (in the same topological order).
        authorize: () => ({ ok: true }),
      },
    });
  }

  /** Loads what the scheduler will ask synchronously about `pdus` of `roomId`. */
  async prime(roomId: string | undefined, pdus: readonly unknown[], signal?: AbortSignal): Promise<void> {
    const { keys, known, rooms, sink } = this.#d;
    const wanted = new Map<string, [string, string]>();
    const ids: string[] = [];
    for (const p of pdus) {
      for (const k of signingKeysOf(p)) wanted.set(k.join(' '), k);
      ids.push(...citedIds(p));
    }
    await Promise.all([
      ...[...wanted.values()].map(([server, keyId]) => keys.ensure(server, keyId, signal)),
      known.prime(sink.storage, ids),
      roomId === undefined ? undefined : rooms.prime(roomId),
    ]);
  }

  /** An event pushed to us (`/send`); call {@link prime} first. */
  handlePdu(json: unknown, origin: string): PduAdmission {
    const admission = this.scheduler.handlePdu(this.#d.clock.now(), json, { origin });
    this.#kick();
    return admission;
  }

  /**
   * Pages history in from the room's servers, from the backward extremities `from`; resolves
   * once every event it got is stored (or rejected).
   */
  backfill(
    roomId: string,
    from: readonly string[],
    limit: number,
    signal?: AbortSignal,
  ): Promise<BackfillResult> {
    const ticket = this.scheduler.backfill(this.#d.clock.now(), { roomId, from, limit });
    this.#kick();
    return new Promise<BackfillResult>((resolve, reject) => {
      this.#backfills.set(ticket, { resolve, reject });
      signal?.addEventListener(
        'abort',
        () => {
          if (this.#backfills.delete(ticket)) reject(new Error('backfill aborted'));
        },
        { once: true },
      );
    });
  }

  /** Stops the timer and aborts every request. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const a of this.#aborts.values()) a.abort();
    this.#aborts.clear();
    for (const b of this.#backfills.values()) b.reject(new Error('server shutting down'));
    this.#backfills.clear();
    return this.#drained;
  }

  #kick(): void {
    if (this.#closed) return;
    this.#dirty = true;
    if (!this.#draining) {
      this.#draining = true;
      this.#drained = this.#drain();
    }
  }

  // One drain at a time: each output is handled (an evaluated event stored) before the next
  // poll(), which is what lets the scheduler authorize the next event against the stored ones.
  async #drain(): Promise<void> {
    try {
      while (this.#dirty && !this.#closed) {
        this.#dirty = false;
        for (let o = this.scheduler.poll(); o !== undefined && !this.#closed; o = this.scheduler.poll()) {
          try {
            await this.#handle(o);
          } catch (err) {
            this.#d.logger.error({ err, output: o.type }, 'federation: handling a fetch output failed');
          }
        }
      }
    } finally {
      this.#draining = false;
      this.#arm();
    }
  }

  #arm(): void {
    if (this.#closed) return;
    const at = this.scheduler.pollTimeout();
    if (at === this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = at;
    if (at === undefined) return;
    const delay = Math.max(0, at - this.#d.clock.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = undefined;
      this.scheduler.handleTimeout(this.#d.clock.now());
      this.#kick();
    }, delay);
    this.#timer.unref();
  }

  async #handle(o: FetchOutput<PDU>): Promise<void> {
    const { sink, logger } = this.#d;
    switch (o.type) {
      case 'request':
        this.#send(o.request);
        return;
      case 'cancel':
        this.#aborts.get(o.requestId)?.abort();
        this.#aborts.delete(o.requestId);
        return;
      case 'evaluated':
        await sink.accept(o.roomId, o.eventId, o.pdu, o.outlier || o.backfilled ? 'historical' : 'live');
        return;
      case 'rejected':
        await sink.reject(o.roomId, o.eventId, o.pdu, o.reason);
        return;
      case 'backfill_done': {
        const b = this.#backfills.get(o.ticket);
        this.#backfills.delete(o.ticket);
        b?.resolve({ eventIds: o.eventIds, backwardExtremities: o.backwardExtremities });
        return;
      }
      case 'backfill_failed': {
        const b = this.#backfills.get(o.ticket);
        this.#backfills.delete(o.ticket);
        b?.reject(new Error(o.reason));
        return;
      }
      case 'fetch_failed':
        logger.debug({ roomId: o.roomId, eventId: o.eventId, reason: o.reason }, 'federation: fetch failed');
        return;
      case 'backward_extremity':
        logger.debug({ roomId: o.roomId, count: o.eventIds.length }, 'federation: gap left for backfill');
        return;
      default:
        return;
    }
  }

  #send(req: FetchRequest): void {
    const abort = new AbortController();
    this.#aborts.set(req.id, abort);
    const init = requestInit(req, this.#d.serverName);
    void this.#d.client
      .request(req.destination, { ...init, signal: abort.signal, timeoutMs: req.timeoutMs })
      .then(async (res): Promise<FetchResponse | undefined> => {
        if (!res.ok && res.aborted === true) return undefined;
        if (!res.ok) {
          return {
            ok: false,
            ...(res.status === undefined ? {} : { status: res.status }),
            ...(res.retryAfterMs === undefined ? {} : { retryAfterMs: res.retryAfterMs }),
          };
        }
        const roomId = 'roomId' in req.params ? req.params.roomId : undefined;
        await this.prime(roomId, pdusOf(res.body), abort.signal);
        return { ok: true, body: res.body };
      })
      .then((response) => {
        this.#aborts.delete(req.id);
        if (response === undefined || this.#closed) return;
        this.scheduler.handleResponse(this.#d.clock.now(), req.id, response);
        this.#kick();
      })
      .catch((err: unknown) => this.#d.logger.error({ err }, 'federation: a fetch request failed'));
  }
}
