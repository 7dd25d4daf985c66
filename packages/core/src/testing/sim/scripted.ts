import {
  type FetchOptions,
  type FetchOutput,
  type FetchRequest,
  type FetchResponse,
  FetchScheduler,
  type PduVerifier,
} from '../../fetch/index.js';
import type { TimerId } from '../../io.js';
import { FakeClock } from '../fake-clock.js';
import { SeededRandom } from '../seeded-random.js';
import { SimRoomStore, type StatePdu } from './room-store.js';
import { serveFederation } from './serve.js';

/** How a scripted peer answers one request: a response after a delay, or never (`drop`). */
export type PeerReply = { response: FetchResponse; delayMs?: number } | 'drop';

/** A scripted peer: a function from request to reply. */
export type PeerScript = (req: FetchRequest) => PeerReply;

/** An honest peer answering from its store after `delayMs`. */
export function honestPeer<P extends StatePdu>(
  name: string,
  store: SimRoomStore<P>,
  delayMs = 10,
): PeerScript {
  return (req) => ({ response: serveFederation(store, name, req), delayMs });
}

/** A peer that is down: requests vanish (the scheduler's timeout has to notice). */
export const downPeer: PeerScript = () => 'drop';

/**
 * Drives one {@link FetchScheduler} against scripted peers on a {@link FakeClock}: requests are
 * answered by the peers' scripts after their delays, deadlines from `pollTimeout` are honoured,
 * evaluated events are stored in `store`, and everything is recorded for assertions.
 */
export class ScriptedFederation<P extends StatePdu> {
  readonly clock: FakeClock;
  readonly scheduler: FetchScheduler<P>;
  readonly store: SimRoomStore<P>;
  /** Every request emitted, in order. */
  readonly sent: FetchRequest[] = [];
  /** Ids of requests the scheduler cancelled. */
  readonly cancelled: number[] = [];
  /** Every other output, in order. */
  readonly outputs: FetchOutput<P>[] = [];
  readonly #peers = new Map<string, PeerScript>();
  readonly #replies = new Map<number, TimerId>();

  constructor(
    clock: FakeClock,
    scheduler: FetchScheduler<P>,
    store: SimRoomStore<P>,
    peers: Record<string, PeerScript>,
  ) {
    this.clock = clock;
    this.scheduler = scheduler;
    this.store = store;
    for (const [name, script] of Object.entries(peers)) this.#peers.set(name, script);
  }

  /** Replaces a peer's script. */
  setPeer(name: string, script: PeerScript): void {
    this.#peers.set(name, script);
  }

  /** Requests sent to `destination` (optionally of one kind). */
  sentTo(destination: string, kind?: FetchRequest['kind']): FetchRequest[] {
    return this.sent.filter((r) => r.destination === destination && (kind === undefined || r.kind === kind));
  }

  /** Outputs of one type. */
  outputsOf<T extends FetchOutput<P>['type']>(type: T): Extract<FetchOutput<P>, { type: T }>[] {
    return this.outputs.filter((o): o is Extract<FetchOutput<P>, { type: T }> => o.type === type);
  }

  /** Takes every output the scheduler has now. */
  drain(): void {
    for (let o = this.scheduler.poll(); o !== undefined; o = this.scheduler.poll()) {
      if (o.type === 'request') this.#send(o.request);
      else if (o.type === 'cancel') {
        this.cancelled.push(o.requestId);
        const t = this.#replies.get(o.requestId);
        if (t !== undefined) this.clock.clear(t);
        this.#replies.delete(o.requestId);
      } else {
        this.store.apply(o);
        this.outputs.push(o);
      }
    }
  }

  /** Runs until nothing is pending or `maxMs` of virtual time passed; returns the time used. */
  run(maxMs = 600_000): number {
    const start = this.clock.now();
    const end = start + maxMs;
    for (;;) {
      this.drain();
      const t = this.scheduler.pollTimeout();
      const c = this.clock.nextDeadline();
      const next = t === undefined ? c : c === undefined ? t : Math.min(t, c);
      if (next === undefined) break;
      if (next > end) {
        this.clock.advance(end - this.clock.now());
        break;
      }
      this.clock.advance(Math.max(0, next - this.clock.now()));
      if (t !== undefined && t <= this.clock.now()) this.scheduler.handleTimeout(this.clock.now());
    }
    this.drain();
    return this.clock.now() - start;
  }

  #send(req: FetchRequest): void {
    this.sent.push(req);
    const script = this.#peers.get(req.destination);
    const reply = script === undefined ? 'drop' : script(req);
    if (reply === 'drop') return;
    const timer = this.clock.set(() => {
      this.#replies.delete(req.id);
      this.scheduler.handleResponse(this.clock.now(), req.id, reply.response);
    }, reply.delayMs ?? 0);
    this.#replies.set(req.id, timer);
  }
}

/** What {@link scriptedSetup} builds. */
export interface ScriptedSetup<P extends StatePdu> {
  clock: FakeClock;
  store: SimRoomStore<P>;
  scheduler: FetchScheduler<P>;
  net: ScriptedFederation<P>;
}

/**
 * One scheduler named `self` in a room of `servers` (ourselves first), with scripted peers, a fake
 * clock at 0 and a seeded random: the usual test rig.
 */
export function scriptedSetup<P extends StatePdu>(init: {
  self: string;
  roomId: string;
  servers: readonly string[];
  peers: Record<string, PeerScript>;
  verifier: PduVerifier<P>;
  options?: Partial<FetchOptions>;
  seed?: number;
}): ScriptedSetup<P> {
  const clock = new FakeClock(0);
  const store = new SimRoomStore<P>();
  store.setServers(init.roomId, init.servers);
  const scheduler = new FetchScheduler<P>({
    serverName: init.self,
    host: store,
    verifier: init.verifier,
    random: new SeededRandom(init.seed ?? 1),
    options: init.options ?? {},
  });
  const net = new ScriptedFederation(clock, scheduler, store, init.peers);
  return { clock, store, scheduler, net };
}
