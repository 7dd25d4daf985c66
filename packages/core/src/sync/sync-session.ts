import { EventEmitter } from 'eventemitter3';
import { type ApiContext, apiRequest } from '../client/api-request.js';
import { ExponentialBackoffPolicy, type ReconnectPolicy } from '../client/reconnect-policy.js';
import { sleep } from '../client/sleep.js';
import { isParleyError, ParleyError, throwIfAborted } from '../errors.js';
import { type Clock, MemoryStore, type Store } from '../io.js';
import type { SyncPagedStream } from './params.js';
import {
  applySent,
  mergeFields,
  type SyncStreamParams,
  type SyncWantedParams,
  stickyDiff,
} from './sticky-diff.js';
import type {
  SyncResponseBody,
  SyncRoomListResult,
  SyncRoomMembersResult,
  SyncRoomResult,
  SyncStreamName,
  SyncToDeviceResult,
  SyncTypingResult,
} from './types.js';

/** The events of a {@link SyncSession}: one per stream, plus the whole response and the restarts. */
export interface SyncSessionEvents {
  /** Every response, before its per-stream events. */
  response: (body: SyncResponseBody) => void;
  typing: (result: SyncTypingResult) => void;
  to_device: (result: SyncToDeviceResult) => void;
  room_members: (result: SyncRoomMembersResult) => void;
  room_list: (result: SyncRoomListResult) => void;
  room: (result: SyncRoomResult) => void;
  /** The server forgot the session (`M_UNKNOWN_SYNC_SESSION`): streams start over, clear what you built from them. */
  restart: (cause: ParleyError) => void;
  /** A request of {@link SyncSession.run} failed and will be retried after a backoff. */
  error: (error: ParleyError) => void;
}

/** What a {@link SyncSession} persists in its store. */
export interface SyncSessionState {
  v: 1;
  since: string | undefined;
  /** The parameters the app asked for. */
  wanted: SyncWantedParams;
  /** The parameters the server holds for the session (sent and answered). */
  sent: SyncWantedParams;
  /** Per paginated stream: the next page's `p.since`, or `null` after the last page. */
  pages: Partial<Record<SyncPagedStream, string | null>>;
}

/** Options of {@link SyncSession}. */
export interface SyncSessionOptions {
  /** Where and as whom: the same context as the rest of the client API. */
  api: ApiContext;
  /** Where `since` and the parameters survive a reload. Default: in memory. */
  store?: Store;
  /** The store key. Default `sync/session`. */
  storeKey?: string;
  /** The long-poll `timeout` of {@link SyncSession.run}, ms. Default 30 s. */
  timeoutMs?: number;
  /** Delays between failed requests of {@link SyncSession.run}. Default: exponential, full jitter. */
  reconnect?: ReconnectPolicy;
  /** Tells the reconnect policy how long an outage has lasted. Without it the policy sees 0. */
  clock?: Clock;
}

const SUPERSEDED = Symbol('superseded');
const STREAM_EVENTS = ['typing', 'to_device', 'room_members', 'room_list', 'room'] as const;

/**
 * The client side of sync v3: keeps `since` and the sticky parameters, sends only what changed,
 * restarts transparently when the server forgot the session (re-sending every parameter), pages
 * a stream on request and long-polls in a loop. One request is in flight at a time; a page or a
 * parameter change cuts a waiting long-poll short, which the server's retransmit rule makes safe.
 */
export class SyncSession extends EventEmitter<SyncSessionEvents> {
  readonly #api: ApiContext;
  readonly #store: Store;
  readonly #key: string;
  readonly #timeoutMs: number;
  readonly #policy: ReconnectPolicy;
  readonly #clock: Clock | undefined;
  #state: SyncSessionState;
  #queue: Promise<unknown> = Promise.resolve();
  #longPoll: AbortController | undefined;

  private constructor(options: SyncSessionOptions, store: Store, state: SyncSessionState) {
    super();
    this.#api = options.api;
    this.#store = store;
    this.#key = options.storeKey ?? 'sync/session';
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#policy = options.reconnect ?? new ExponentialBackoffPolicy({ random: options.api.random });
    this.#clock = options.clock;
    this.#state = state;
  }

  /** Opens the session saved in the store, or a new one. */
  static async open(options: SyncSessionOptions): Promise<SyncSession> {
    const store = options.store ?? new MemoryStore();
    const saved = await store.get<SyncSessionState>(options.storeKey ?? 'sync/session');
    const state: SyncSessionState =
      saved?.v === 1 ? saved : { v: 1, since: undefined, wanted: {}, sent: {}, pages: {} };
    return new SyncSession(options, store, state);
  }

  /** The token of the next request, `undefined` before the first response. */
  get since(): string | undefined {
    return this.#state.since;
  }

  /** The parameters asked for. */
  get params(): Readonly<SyncWantedParams> {
    return this.#state.wanted;
  }

  /** True while the paginated stream has a page after the last one fetched. */
  hasMorePages(stream: SyncPagedStream): boolean {
    return typeof this.#state.pages[stream] === 'string';
  }

  /**
   * Subscribes to a stream or changes some of its parameters (fields not given keep their values;
   * `room_id` is required to subscribe to `typing`, `room_members` and `room`). The next request
   * sends the change; a waiting long-poll is cut short so that it goes now.
   */
  subscribe<S extends SyncStreamName>(stream: S, params: Partial<SyncStreamParams[S]>): void {
    const old = this.#state.wanted[stream] as Record<string, unknown> | undefined;
    const merged = mergeFields(old, params as Record<string, unknown>);
    if (stream !== 'to_device' && stream !== 'room_list' && typeof merged.room_id !== 'string') {
      throw ParleyError.matrix('M_INVALID_PARAM', `${stream}.room_id is required to subscribe`, 400);
    }
    this.#state = { ...this.#state, wanted: { ...this.#state.wanted, [stream]: merged } };
    this.#longPoll?.abort(SUPERSEDED);
  }

  /** Unsubscribes from a stream. */
  unsubscribe(stream: SyncStreamName): void {
    const wanted = { ...this.#state.wanted };
    delete wanted[stream];
    this.#state = { ...this.#state, wanted };
    this.#longPoll?.abort(SUPERSEDED);
  }

  /** One request that answers at once (or after `timeoutMs`); emits its events. */
  sync(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<SyncResponseBody> {
    this.#longPoll?.abort(SUPERSEDED);
    return this.#serial(() => this.#request({}, options.timeoutMs ?? 0, options.signal));
  }

  /**
   * Fetches the next page of a paginated stream (the first with `first`, or when none was fetched
   * yet). `since` still advances: pages come from the snapshot named in `p.next`, not from `since`.
   */
  page(
    stream: SyncPagedStream,
    options: { signal?: AbortSignal; first?: boolean } = {},
  ): Promise<SyncResponseBody> {
    if (this.#state.wanted[stream] === undefined) {
      return Promise.reject(ParleyError.protocol(`Subscribe to ${stream} before paging it`));
    }
    this.#longPoll?.abort(SUPERSEDED);
    return this.#serial(() => {
      const next = this.#state.pages[stream];
      if (!options.first && next === null) return this.#request({}, 0, options.signal);
      return this.#request({ [stream]: options.first || next === undefined ? '1' : next }, 0, options.signal);
    });
  }

  /**
   * Long-polls until `signal` fires, emitting each response's events. Failures are retried after
   * the reconnect policy's delay (and reported as `error`); it rejects only when the policy gives up.
   */
  async run(options: { signal: AbortSignal }): Promise<void> {
    const { signal } = options;
    let attempt = 0;
    let outageStart: number | undefined;
    while (!signal.aborted) {
      const ctl = new AbortController();
      const combined = AbortSignal.any([signal, ctl.signal]);
      try {
        await this.#serial(() => {
          this.#longPoll = ctl;
          return this.#request({}, this.#state.since === undefined ? 0 : this.#timeoutMs, combined);
        });
        attempt = 0;
        outageStart = undefined;
      } catch (error) {
        if (signal.aborted) return;
        if (ctl.signal.reason === SUPERSEDED) continue;
        const e = isParleyError(error) ? error : ParleyError.network(String(error), error);
        this.emit('error', e);
        const now = this.#clock?.now() ?? 0;
        outageStart ??= now;
        const delay = this.#policy.nextDelay({
          attempt: attempt++,
          elapsedMs: now - outageStart,
          lastError: e,
        });
        if (delay === null) throw e;
        try {
          await sleep(this.#api.timers, delay, signal);
        } catch {
          return;
        }
      } finally {
        if (this.#longPoll === ctl) this.#longPoll = undefined;
      }
    }
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #request(
    pageSince: Partial<Record<SyncPagedStream, string>>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<SyncResponseBody> {
    throwIfAborted(signal);
    try {
      return await this.#send(pageSince, timeoutMs, signal);
    } catch (error) {
      if (!isParleyError(error) || error.code !== 'M_UNKNOWN_SYNC_SESSION' || this.#state.since === undefined)
        throw error;
      // The server forgot us: start a new session with every parameter, and the first page of
      // every stream that was being paged (what was built from the old pages is stale).
      const restartPages: Partial<Record<SyncPagedStream, string>> = {};
      for (const s of Object.keys(this.#state.pages) as SyncPagedStream[]) restartPages[s] = '1';
      for (const s of Object.keys(pageSince) as SyncPagedStream[]) restartPages[s] = '1';
      this.#state = { ...this.#state, since: undefined, sent: {}, pages: {} };
      await this.#save();
      this.emit('restart', error);
      return this.#send(restartPages, 0, signal);
    }
  }

  async #send(
    pageSince: Partial<Record<SyncPagedStream, string>>,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<SyncResponseBody> {
    const wanted = this.#state.wanted;
    const body = stickyDiff(wanted, this.#state.sent);
    for (const [stream, since] of Object.entries(pageSince) as [SyncPagedStream, string][]) {
      if (wanted[stream] === undefined) continue;
      const b = (body[stream] ?? {}) as Record<string, unknown>;
      body[stream] = { ...b, p: { ...((b.p as object | undefined) ?? {}), since } };
    }
    const since = this.#state.since;
    const response = await apiRequest<SyncResponseBody>(
      this.#api,
      {
        method: 'POST',
        path: '/_matrix/client/v3/sync',
        query: { since, timeout: since === undefined ? undefined : timeoutMs },
        body,
        auth: true,
        // Same since and same body get the same answer, so a lost response can be asked again.
        idempotent: true,
      },
      signal,
    );
    if (typeof response.next !== 'string') throw ParleyError.protocol('The sync response has no next token');
    const pages = { ...this.#state.pages };
    for (const stream of Object.keys(pageSince) as SyncPagedStream[])
      pages[stream] = response[stream]?.p?.next ?? null;
    this.#state = { ...this.#state, since: response.next, sent: applySent(this.#state.sent, body), pages };
    await this.#save();
    this.emit('response', response);
    for (const stream of STREAM_EVENTS) {
      const result = response[stream];
      if (result !== undefined) (this.emit as (e: string, r: unknown) => boolean)(stream, result);
    }
    return response;
  }

  #save(): Promise<void> {
    return this.#store.set(this.#key, this.#state);
  }
}
