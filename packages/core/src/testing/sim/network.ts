import { FakeClock } from '../fake-clock.js';
import { SeededRandom } from '../seeded-random.js';

/** Options of a {@link SimNetwork}. */
export interface SimNetworkOptions {
  /** Everything random in the simulation (latency jitter, servers' randomness) derives from it. */
  seed: number;
  /** One-way latency of every link, in virtual ms. */
  latencyMs?: number;
  /** Up to this much is added to each message's latency, drawn from the seed. */
  jitterMs?: number;
  /** Keep a log of every message for inspection (bounded to `traceLimit` lines). */
  trace?: boolean;
  traceLimit?: number;
}

/** What the network needs to know of a node. */
export interface SimNode {
  readonly name: string;
  readonly up: boolean;
}

/**
 * An in-memory network on a virtual clock (quinn-proto's test `Pair`, for N servers): messages
 * take the link's latency (base, plus each end's extra latency, plus jitter from the seed); a
 * partition or a crashed end drops them silently, as a real network would, so the sender's
 * timeouts have to notice. The same seed replays the same run.
 */
export class SimNetwork {
  readonly clock = new FakeClock(0);
  readonly random: SeededRandom;
  readonly stats = { sent: 0, delivered: 0, dropped: 0 };
  readonly trace: string[] = [];
  readonly #latencyMs: number;
  readonly #jitterMs: number;
  readonly #traceLimit: number;
  readonly #tracing: boolean;
  readonly #nodes = new Map<string, SimNode>();
  readonly #extra = new Map<string, number>();
  #groups: Map<string, number> | undefined;

  constructor(opts: SimNetworkOptions) {
    this.random = new SeededRandom(opts.seed);
    this.#latencyMs = opts.latencyMs ?? 20;
    this.#jitterMs = opts.jitterMs ?? 5;
    this.#tracing = opts.trace ?? false;
    this.#traceLimit = opts.traceLimit ?? 100_000;
  }

  /** Adds a node (a simulated server). */
  attach(node: SimNode): void {
    this.#nodes.set(node.name, node);
  }

  /** The node called `name`. */
  node(name: string): SimNode | undefined {
    return this.#nodes.get(name);
  }

  /** Makes every message to and from `name` take `ms` longer (a slow server or a far link). */
  setExtraLatency(name: string, ms: number): void {
    this.#extra.set(name, ms);
  }

  /** Splits the network: messages cross no group boundary until {@link heal}. Unlisted nodes are alone. */
  partition(groups: readonly (readonly string[])[]): void {
    this.#groups = new Map();
    groups.forEach((g, i) => {
      for (const n of g) this.#groups?.set(n, i);
    });
  }

  /** Ends the partition. */
  heal(): void {
    this.#groups = undefined;
  }

  /** True when a message from `a` can reach `b` now. */
  reachable(a: string, b: string): boolean {
    const na = this.#nodes.get(a);
    const nb = this.#nodes.get(b);
    if (na === undefined || nb === undefined || !na.up || !nb.up) return false;
    if (this.#groups === undefined) return true;
    const ga = this.#groups.get(a);
    return ga !== undefined && ga === this.#groups.get(b);
  }

  /** One-way latency of a message from `a` to `b` (draws jitter). */
  latency(a: string, b: string): number {
    const jitter = this.#jitterMs > 0 ? this.random.nextInt(this.#jitterMs + 1) : 0;
    return this.#latencyMs + (this.#extra.get(a) ?? 0) + (this.#extra.get(b) ?? 0) + jitter;
  }

  /** Sends a message: `deliver` runs after the latency if `b` is still reachable then. */
  send(a: string, b: string, what: string, deliver: () => void): void {
    this.stats.sent++;
    if (!this.reachable(a, b)) {
      this.#drop(a, b, what);
      return;
    }
    const delay = this.latency(a, b);
    this.clock.set(() => {
      if (!this.reachable(a, b)) {
        this.#drop(a, b, what);
        return;
      }
      this.stats.delivered++;
      this.#log(`${this.clock.now()} ${a}->${b} ${what}`);
      deliver();
    }, delay);
  }

  /** Runs the clock until nothing is scheduled or `maxMs` passed; returns the virtual time used. */
  run(maxMs = 3_600_000): number {
    const start = this.clock.now();
    const end = start + maxMs;
    for (let next = this.clock.nextDeadline(); next !== undefined; next = this.clock.nextDeadline()) {
      if (next > end) break;
      this.clock.advance(next - this.clock.now());
    }
    return this.clock.now() - start;
  }

  #drop(a: string, b: string, what: string): void {
    this.stats.dropped++;
    this.#log(`${this.clock.now()} ${a}-x ${b} ${what}`);
  }

  #log(line: string): void {
    if (this.#tracing && this.trace.length < this.#traceLimit) this.trace.push(line);
  }
}
