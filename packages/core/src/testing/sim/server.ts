import { isParleyError } from '../../errors.js';
import {
  type FetchHost,
  type FetchOptions,
  type FetchOutput,
  type FetchResponse,
  FetchScheduler,
  type PduVerifier,
} from '../../fetch/index.js';
import type { Random, TimerId } from '../../io.js';
import { SeededRandom } from '../seeded-random.js';
import type { SimEventCodec } from './codec.js';
import type { SimNetwork } from './network.js';
import { SimRoomStore, type StatePdu } from './room-store.js';
import { serveFederation } from './serve.js';

const SEND_RETRY_MS = 2_000;
const SEND_ATTEMPTS = 5;

/** The sans-IO surface a simulated server drives: the fetch scheduler, or a baseline to compare with. */
export interface SimFetcher<P extends StatePdu> {
  handlePdu(now: number, json: unknown, opts: { origin: string }): unknown;
  handleResponse(now: number, requestId: number, response: FetchResponse): boolean;
  handleTimeout(now: number): void;
  poll(): FetchOutput<P> | undefined;
  pollTimeout(): number | undefined;
}

/** Builds a server's fetcher; the default is a {@link FetchScheduler}. */
export type SimFetcherFactory<P extends StatePdu> = (init: {
  serverName: string;
  host: FetchHost<P>;
  verifier: PduVerifier<P>;
  random: Random;
}) => SimFetcher<P>;

/** A factory for the real scheduler with `options`. */
export function schedulerFactory<P extends StatePdu>(
  options: Partial<FetchOptions> = {},
): SimFetcherFactory<P> {
  return (init) => new FetchScheduler<P>({ ...init, options });
}

/**
 * A minimal Parley server in the simulator: a room DAG in a {@link SimRoomStore}, sending its
 * events to the room's other servers (`/send` transactions, retried with backoff five times over
 * about a minute, then dropped), answering federation reads, and
 * filling what it missed with its fetcher. A crash loses the fetcher's state; the store survives.
 */
export class SimServer<P extends StatePdu> {
  readonly name: string;
  readonly store = new SimRoomStore<P>();
  /** Outputs other than requests and stored events (backward extremities, failed fetches). */
  readonly notices: FetchOutput<P>[] = [];
  fetcher: SimFetcher<P>;
  #up = true;
  #epoch = 0;
  #wake: { at: number; timer: TimerId } | undefined;
  readonly #net: SimNetwork;
  readonly #codec: SimEventCodec<P>;
  readonly #factory: SimFetcherFactory<P>;
  readonly #rooms = new Map<string, string[]>();
  /** Events not yet acknowledged per destination (kept across a crash, as a real outbox is). */
  readonly #outbox = new Map<string, { events: Map<string, P>; attempts: number; inFlight: boolean }>();

  constructor(
    net: SimNetwork,
    name: string,
    codec: SimEventCodec<P>,
    factory: SimFetcherFactory<P> = schedulerFactory(),
  ) {
    this.name = name;
    this.#net = net;
    this.#codec = codec;
    this.#factory = factory;
    this.store.authorizeHook = (pdu) => codec.authorize(pdu, (id) => this.store.events.get(id));
    this.fetcher = this.#newFetcher();
    net.attach(this);
  }

  get up(): boolean {
    return this.#up;
  }

  /** Joins a room whose first events (`genesis`) every member holds, shared by `servers`. */
  join(roomId: string, servers: readonly string[], genesis: readonly { eventId: string; pdu: P }[]): void {
    this.#rooms.set(roomId, [...servers]);
    this.store.setServers(roomId, servers);
    for (const e of genesis) this.store.store(e.eventId, e.pdu);
  }

  /** Sends a message after our forward extremities and pushes it to the room's other servers. */
  send(roomId: string, body: string): string {
    const prev = this.store.forwardExtremities(roomId).map((eventId) => ({
      eventId,
      depth: (this.store.events.get(eventId) as P).depth,
    }));
    const ev = this.#codec.message(this.name, roomId, body, prev, this.#net.clock.now());
    this.store.store(ev.eventId, ev.pdu);
    for (const dest of this.#rooms.get(roomId) ?? []) {
      if (dest === this.name) continue;
      let box = this.#outbox.get(dest);
      if (box === undefined) {
        box = { events: new Map(), attempts: 0, inFlight: false };
        this.#outbox.set(dest, box);
      }
      box.events.set(ev.eventId, ev.pdu);
      this.#flush(dest);
    }
    return ev.eventId;
  }

  // A `/send` transaction of up to 50 events, retried with exponential backoff until acknowledged;
  // after SEND_ATTEMPTS the events are dropped for that destination (it fetches them later).
  #flush(dest: string): void {
    const box = this.#outbox.get(dest);
    if (!this.#up || box === undefined || box.inFlight || box.events.size === 0) return;
    const batch = [...box.events].slice(0, 50);
    const clock = this.#net.clock;
    const epoch = this.#epoch;
    box.inFlight = true;
    box.attempts++;
    let settled = false;
    const retry = clock.set(
      () => {
        if (settled) return;
        settled = true;
        box.inFlight = false;
        if (box.attempts >= SEND_ATTEMPTS) {
          box.events.clear();
          box.attempts = 0;
        }
        if (epoch === this.#epoch) this.#flush(dest);
      },
      SEND_RETRY_MS * 2 ** (box.attempts - 1),
    );
    this.#net.send(this.name, dest, 'send', () => {
      const peer = this.#net.node(dest) as SimServer<P>;
      for (const [, pdu] of batch) peer.receive(this.name, pdu);
      this.#net.send(dest, this.name, 'send answer', () => {
        if (settled || epoch !== this.#epoch) return;
        settled = true;
        clock.clear(retry);
        box.inFlight = false;
        box.attempts = 0;
        for (const [id] of batch) box.events.delete(id);
        this.#flush(dest);
      });
    });
  }

  /** An event pushed by `from`. */
  receive(from: string, pdu: unknown): void {
    if (!this.#up) return;
    try {
      this.fetcher.handlePdu(this.#net.clock.now(), pdu, { origin: from });
    } catch (e) {
      if (!isParleyError(e)) throw e; // a full queue drops the event; fetching recovers it later
    }
    this.pump();
  }

  /** Stops the server: in-flight work is lost, the store is kept. */
  crash(): void {
    this.#up = false;
    this.#epoch++;
    for (const box of this.#outbox.values()) box.inFlight = false;
    if (this.#wake !== undefined) this.#net.clock.clear(this.#wake.timer);
    this.#wake = undefined;
  }

  /** Starts the server again with a fresh fetcher over the same store. */
  restart(): void {
    this.#up = true;
    this.fetcher = this.#newFetcher();
    this.pump();
    for (const dest of this.#outbox.keys()) this.#flush(dest);
  }

  /** Hands every output of the fetcher to the network or the store, and arms the next wakeup. */
  pump(): void {
    if (!this.#up) return;
    const clock = this.#net.clock;
    for (let o = this.fetcher.poll(); o !== undefined; o = this.fetcher.poll()) {
      if (o.type === 'request') {
        const req = o.request;
        const epoch = this.#epoch;
        this.#net.send(this.name, req.destination, req.kind, () => {
          const peer = this.#net.node(req.destination) as SimServer<P>;
          const response = serveFederation(peer.store, peer.name, req);
          this.#net.send(req.destination, this.name, `${req.kind} answer`, () => {
            if (epoch !== this.#epoch || !this.#up) return;
            this.fetcher.handleResponse(clock.now(), req.id, response);
            this.pump();
          });
        });
      } else if (o.type !== 'cancel' && !this.store.apply(o)) {
        this.notices.push(o);
      }
    }
    const at = this.fetcher.pollTimeout();
    if (this.#wake !== undefined && this.#wake.at === at) return;
    if (this.#wake !== undefined) clock.clear(this.#wake.timer);
    this.#wake = undefined;
    if (at === undefined) return;
    const timer = clock.set(
      () => {
        this.#wake = undefined;
        this.fetcher.handleTimeout(clock.now());
        this.pump();
      },
      Math.max(0, at - clock.now()),
    );
    this.#wake = { at, timer };
  }

  #newFetcher(): SimFetcher<P> {
    return this.#factory({
      serverName: this.name,
      host: this.store,
      verifier: this.#codec.verifier,
      random: new SeededRandom(this.#net.random.nextU32()),
    });
  }
}
