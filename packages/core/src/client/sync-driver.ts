import { isParleyError, ParleyError } from '../errors.js';
import type { Clock, Timers } from '../io.js';
import type { ChannelState } from './client-events.js';
import type { ReconnectPolicy } from './reconnect-policy.js';
import { ReconnectTracker } from './reconnect-tracker.js';
import { sleep } from './sleep.js';

// The abort reason of a request cut short to apply new stream parameters (not a failure).
const REFRESH = Symbol('refresh');

/**
 * What the driver polls: core's `SyncSession` fits (its `sync()` makes one request and emits
 * the response's events, which the client listens to).
 */
export interface SyncSource {
  sync(options: { signal?: AbortSignal; timeoutMs?: number }): Promise<unknown>;
}

/** What the {@link SyncDriver} reports. */
export interface SyncDriverHooks {
  /** A request succeeded (the server is reachable). */
  answered: () => void;
  state: (state: ChannelState) => void;
  /** The token is no longer valid: the driver has stopped. */
  unauthorized: (error: ParleyError) => void;
  warning: (error: ParleyError) => void;
}

/**
 * Runs the sync loop over a {@link SyncSource}: one long-poll after another; after a failure it waits as the
 * {@link ReconnectPolicy} says (the first request after a failure does not long-poll, so the
 * client learns at once that it is back).
 */
export class SyncDriver {
  readonly #source: SyncSource;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #hooks: SyncDriverHooks;
  readonly #timeoutMs: number;
  readonly #tracker: ReconnectTracker;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #state: ChannelState = 'stopped';
  #request: AbortController | undefined;
  #wait: AbortController | undefined;

  constructor(options: {
    source: SyncSource;
    clock: Clock;
    timers: Timers;
    policy: ReconnectPolicy;
    timeoutMs: number;
    hooks: SyncDriverHooks;
  }) {
    this.#source = options.source;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#hooks = options.hooks;
    this.#timeoutMs = options.timeoutMs;
    // Sync has no long-lived connection to flap: each successful answer resets the backoff.
    this.#tracker = new ReconnectTracker(options.policy, { stableAfterMs: 0 });
  }

  get state(): ChannelState {
    return this.#state;
  }

  start(): void {
    if (this.#loop) return;
    const ac = new AbortController();
    this.#abort = ac;
    this.#loop = this.#run(ac.signal).finally(() => {
      if (this.#abort === ac) {
        this.#abort = undefined;
        this.#loop = undefined;
      }
    });
  }

  /** Stops the loop and cancels the request in flight; resolves when it has ended. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    this.#abort?.abort(ParleyError.aborted('sync stopped'));
    this.#abort = undefined;
    this.#loop = undefined;
    await loop;
    this.#setState('stopped');
  }

  /**
   * Cuts the current long-poll short so that changed stream parameters or a page request go
   * now (the session sends one request at a time).
   */
  refresh(): void {
    this.#request?.abort(REFRESH);
  }

  /** Ends a backoff wait now (e.g. the platform says the network is back). */
  wake(): void {
    this.#wait?.abort('wake');
  }

  async #run(signal: AbortSignal): Promise<void> {
    let quick = true;
    this.#setState('connecting');
    while (!signal.aborted) {
      const request = new AbortController();
      this.#request = request;
      const forward = (): void => request.abort(signal.reason);
      signal.addEventListener('abort', forward, { once: true });
      try {
        await this.#source.sync({ timeoutMs: quick ? 0 : this.#timeoutMs, signal: request.signal });
      } catch (thrown) {
        if (signal.aborted) return;
        if (request.signal.reason === REFRESH) {
          quick = true;
          continue;
        }
        const error = isParleyError(thrown) ? thrown : ParleyError.network(String(thrown), thrown);
        if (error.httpStatus === 401) {
          this.#setState('stopped');
          this.#hooks.unauthorized(error);
          return;
        }
        this.#hooks.warning(error);
        const delay = this.#tracker.down(this.#clock.now(), error);
        if (delay === null) {
          this.#setState('stopped');
          return;
        }
        this.#setState('waiting');
        quick = true;
        const wait = new AbortController();
        this.#wait = wait;
        const forwardWait = (): void => wait.abort(signal.reason);
        signal.addEventListener('abort', forwardWait, { once: true });
        try {
          await sleep(this.#timers, delay, wait.signal);
        } catch {
          if (signal.aborted) return;
        } finally {
          signal.removeEventListener('abort', forwardWait);
          this.#wait = undefined;
        }
        this.#setState('connecting');
        continue;
      } finally {
        signal.removeEventListener('abort', forward);
        this.#request = undefined;
      }
      if (signal.aborted) return;
      this.#tracker.reset();
      quick = false;
      this.#setState('open');
      this.#hooks.answered();
    }
  }

  #setState(state: ChannelState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#hooks.state(state);
  }
}
