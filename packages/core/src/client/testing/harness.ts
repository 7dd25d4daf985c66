import { MemoryStore, type Store } from '../../io.js';
import { FakeClock } from '../../testing/fake-clock.js';
import { SeededRandom } from '../../testing/seeded-random.js';
import type { ParleyClientOptions } from '../client-options.js';
import { ParleyClient } from '../parley-client.js';
import { ParleyTestServer } from './test-server.js';

/**
 * A client test world: one fake clock, one in-memory server, clients on it. `settle` lets all pending
 * IO (microtasks, promise callbacks) run; tests pass Node's `setImmediate`-based one, since core
 * itself may not touch timer globals.
 */
export class ClientTestWorld {
  readonly clock = new FakeClock(1_700_000_000_000);
  readonly server = new ParleyTestServer(this.clock);
  readonly settle: () => Promise<void>;
  #seed = 1;

  constructor(settle: () => Promise<void>) {
    this.settle = settle;
  }

  client(store: Store = new MemoryStore(), options: Partial<ParleyClientOptions> = {}): ParleyClient {
    return new ParleyClient({
      baseUrl: 'http://mini.test',
      http: this.server.http,
      webSocket: this.server.realtime.webSocket,
      clock: this.clock,
      timers: this.clock,
      random: new SeededRandom(this.#seed++),
      store,
      sync: { timeoutMs: 30_000 },
      ...options,
    });
  }

  /** Advances the clock by `ms` in steps, letting IO settle between them. */
  async run(ms: number, step = 100): Promise<void> {
    await this.settle();
    for (let t = 0; t < ms; t += step) {
      this.clock.advance(Math.min(step, ms - t));
      await this.settle();
    }
    await this.settle();
  }

  /** Runs until `predicate` holds (or fails after `maxMs` of virtual time). */
  async until(predicate: () => boolean, maxMs = 120_000, step = 100): Promise<void> {
    await this.settle();
    for (let t = 0; t <= maxMs; t += step) {
      if (predicate()) return;
      this.clock.advance(step);
      await this.settle();
    }
    throw new Error(`condition not reached within ${maxMs} ms of virtual time`);
  }
}
