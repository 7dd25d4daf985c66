import type { HttpFunction, HttpRequest, HttpResponse } from '../client/http.js';
import { isParleyError } from '../errors.js';
import type { Clock, TimerId, Timers } from '../io.js';
import type { SyncEngine } from './engine.js';
import type { SyncChange } from './wait-set.js';

/** Who an access token belongs to, for {@link SyncLoopback}. */
export interface SyncLoopbackUser {
  userId: string;
  deviceId: string;
}

/** Options of {@link SyncLoopback}. */
export interface SyncLoopbackOptions {
  engine: SyncEngine;
  clock: Clock;
  timers: Timers;
  /** Access token → user and device. */
  users: Record<string, SyncLoopbackUser>;
}

const SYNC_PATH = '/_matrix/client/v3/sync';
/** How many requests {@link SyncLoopback.requests} keeps. */
const MAX_LOGGED = 1_000;

/**
 * A sync endpoint in memory: an {@link HttpFunction} that serves `POST /_matrix/client/v3/sync`
 * from a {@link SyncEngine}, as the server does, and owns the engine's one timer. It lets a
 * `SyncSession` (or an app's tests) run against a real engine without sockets.
 */
export class SyncLoopback {
  readonly #engine: SyncEngine;
  readonly #clock: Clock;
  readonly #timers: Timers;
  readonly #users: Record<string, SyncLoopbackUser>;
  #timer: { id: TimerId; at: number } | undefined;
  /** The last {@link MAX_LOGGED} requests served, oldest first, for tests that inspect round trips. */
  readonly requests: { since: string | undefined; body: unknown }[] = [];

  constructor(options: SyncLoopbackOptions) {
    this.#engine = options.engine;
    this.#clock = options.clock;
    this.#timers = options.timers;
    this.#users = options.users;
  }

  /** The HTTP function to hand to a client. */
  readonly http: HttpFunction = (request) => this.#serve(request);

  /** Passes a change to the engine, as the server does when it stores one. */
  async notify(change: SyncChange): Promise<void> {
    await this.#engine.notify(this.#clock.now(), change);
    this.#rearm();
  }

  async #serve(request: HttpRequest): Promise<HttpResponse> {
    const [path, query = ''] = request.url.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?', 2) as [
      string,
      string?,
    ];
    if (request.method !== 'POST' || path !== SYNC_PATH)
      return answer(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' });
    const user = this.#users[(request.headers.authorization ?? '').replace(/^Bearer /, '')];
    if (user === undefined) return answer(401, { errcode: 'M_UNKNOWN_TOKEN', error: 'Unknown access token' });
    const params = new Map(
      query
        .split('&')
        .filter((kv) => kv !== '')
        .map((kv) => kv.split('=', 2).map(decodeURIComponent) as [string, string]),
    );
    let body: unknown;
    try {
      body = request.body === undefined || request.body === '' ? undefined : JSON.parse(request.body);
    } catch {
      return answer(400, { errcode: 'M_NOT_JSON', error: 'The body is not JSON' });
    }
    const since = params.get('since');
    const timeout = params.has('timeout') ? Number(params.get('timeout')) : undefined;
    this.requests.push({ since, body });
    if (this.requests.length > MAX_LOGGED) this.requests.shift();
    try {
      const outcome = await this.#engine.handleRequest(
        this.#clock.now(),
        {
          ...user,
          body,
          ...(since === undefined ? {} : { since }),
          ...(timeout === undefined ? {} : { timeout }),
        },
        { signal: request.signal },
      );
      this.#rearm();
      const result = outcome.kind === 'response' ? outcome.body : await outcome.response;
      return answer(200, result);
    } catch (error) {
      if (request.signal?.aborted) throw error;
      if (isParleyError(error) && error.httpStatus !== undefined) {
        return answer(error.httpStatus, { errcode: error.code, error: error.message });
      }
      return answer(500, { errcode: 'M_UNKNOWN', error: String(error) });
    } finally {
      this.#rearm();
    }
  }

  /** Keeps one timer at the engine's next deadline. */
  #rearm(): void {
    const at = this.#engine.pollTimeout();
    if (this.#timer !== undefined && this.#timer.at === at) return;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer.id);
    this.#timer = undefined;
    if (at === undefined) return;
    const id = this.#timers.set(
      () => {
        this.#timer = undefined;
        void this.#engine.handleTimeout(this.#clock.now()).then(() => this.#rearm());
      },
      Math.max(0, at - this.#clock.now()),
    );
    this.#timer = { id, at };
  }
}

function answer(status: number, body: unknown): HttpResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
