import { ParleyError, throwIfAborted } from '../errors.js';
import type { Random } from '../io.js';
import { computeSync, type SyncComputeResult } from './compute.js';
import type { SyncDataSource } from './data-source.js';
import { DEFAULT_SYNC_LIMITS, type SyncLimits } from './limits.js';
import { mergeSticky, type ParsedSyncBody, parseSyncBody, type SyncStickyParams } from './params.js';
import { deviceKeyOf, SessionTable, type SyncCheckpoint, type SyncSessionRecord } from './session-table.js';
import { ToDeviceReaper } from './to-device-reaper.js';
import { formatSince, newSessionId, parseSince, unknownSyncSession } from './tokens.js';
import type { SyncResponseBody } from './types.js';
import { type SyncChange, type SyncWait, WaitSet } from './wait-set.js';

/** One sync request, after the server has authenticated it. */
export interface SyncEngineRequest {
  userId: string;
  deviceId: string;
  /** The `since` query parameter; absent to start a session. */
  since?: string;
  /** The `timeout` query parameter in ms; capped. Absent or 0: answer at once. */
  timeout?: number;
  /** The parsed JSON body (`undefined` for none). */
  body: unknown;
}

/** The engine's answer: a response now, or a long-poll that settles later. */
export type SyncOutcome =
  | { kind: 'response'; body: SyncResponseBody }
  /**
   * Nothing to say yet: `response` settles on a relevant {@link SyncEngine.notify}, at
   * `deadline` through {@link SyncEngine.handleTimeout}, or at once when another request of the
   * session arrives. The server re-arms its timer at {@link SyncEngine.pollTimeout}.
   */
  | { kind: 'wait'; deadline: number; response: Promise<SyncResponseBody> };

/** Options of {@link SyncEngine}. */
export interface SyncEngineOptions {
  source: SyncDataSource;
  /** Draws session ids; production passes a CSPRNG. */
  random: Random;
  limits?: Partial<SyncLimits>;
  /** Told of failures that no request can carry (a to-device deletion that failed). */
  onError?: (error: unknown) => void;
}

/**
 * The server side of sync v3 (docs/sync.md), sans-IO: the server hands it requests, changes and
 * the time, and arms one timer at {@link pollTimeout}; the engine never schedules anything. State
 * lives in memory: after a restart every old token is `M_UNKNOWN_SYNC_SESSION`, and to-device
 * messages, which the data source stores, go to the new sessions.
 */
export class SyncEngine {
  readonly #source: SyncDataSource;
  readonly #random: Random;
  readonly #limits: SyncLimits;
  readonly #sessions = new SessionTable();
  readonly #waits = new WaitSet();
  readonly #reaper: ToDeviceReaper;
  /** The waiting request of each session that has one. */
  readonly #waiting = new WeakMap<SyncSessionRecord, SyncWait>();
  #nextWaitId = 1;
  /** Counts {@link notify} calls, to catch a change that lands while a request computes. */
  #notifications = 0;

  constructor(options: SyncEngineOptions) {
    this.#source = options.source;
    this.#random = options.random;
    this.#limits = { ...DEFAULT_SYNC_LIMITS, ...options.limits };
    this.#reaper = new ToDeviceReaper(options.source, this.#sessions, options.onError);
  }

  /** The limits in force. */
  get limits(): Readonly<SyncLimits> {
    return this.#limits;
  }

  /** Live sessions. */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Requests waiting in a long-poll. */
  get waitingCount(): number {
    return this.#waits.size;
  }

  /**
   * Handles one request at `now`. Rejects with a `ParleyError`: `M_UNKNOWN_SYNC_SESSION` (400) for
   * an unknown, expired or malformed `since`, `M_BAD_JSON` / `M_INVALID_PARAM` (400) for a bad
   * body or `timeout`; `aborted` when `signal` fires (the client went away: nothing is consumed).
   */
  async handleRequest(
    now: number,
    req: SyncEngineRequest,
    options: { signal?: AbortSignal } = {},
  ): Promise<SyncOutcome> {
    throwIfAborted(options.signal);
    const session = req.since === undefined ? undefined : this.#lookup(req.since, req.userId, req.deviceId);
    const parsed = parseSyncBody(req.body, this.#limits);
    if (req.timeout !== undefined && !(Number.isSafeInteger(req.timeout) && req.timeout >= 0)) {
      throw ParleyError.matrix('M_INVALID_PARAM', 'timeout must be a non-negative integer (ms)', 400);
    }
    const timeout = Math.min(req.timeout ?? 0, this.#limits.maxTimeoutMs);
    await this.#expireIdle(now);
    const s = session ?? (await this.#create(now, req.userId, req.deviceId));
    return this.#serial(s, () => this.#handle(s, now, req.since, parsed, timeout, options.signal));
  }

  /** {@link handleRequest}, waiting out a long-poll: for callers that need no deadline. */
  async sync(
    now: number,
    req: SyncEngineRequest,
    options: { signal?: AbortSignal } = {},
  ): Promise<SyncResponseBody> {
    const outcome = await this.handleRequest(now, req, options);
    return outcome.kind === 'response' ? outcome.body : outcome.response;
  }

  /** Tells the engine about a change; the long-polls it concerns are recomputed and answered if it is news. */
  async notify(now: number, change: SyncChange): Promise<void> {
    this.#notifications++;
    const woken = [...this.#waits.concerned(change)].map((w) => this.#wake(w, now, false));
    await Promise.all(woken);
  }

  /** Answers long-polls whose deadline passed and expires idle sessions. */
  async handleTimeout(now: number): Promise<void> {
    await Promise.all(this.#waits.due(now).map((w) => this.#wake(w, now, true)));
    await this.#expireIdle(now);
  }

  /** The next time {@link handleTimeout} has work, or `undefined` when none is pending. */
  pollTimeout(): number | undefined {
    const wait = this.#waits.nextDeadline();
    const idle = this.#sessions.oldestIdleUse();
    const expiry = idle === undefined ? undefined : idle + this.#limits.sessionIdleMs;
    if (wait === undefined) return expiry;
    return expiry === undefined ? wait : Math.min(wait, expiry);
  }

  #lookup(since: string, userId: string, deviceId: string): SyncSessionRecord {
    const s = this.#sessions.get(parseSince(since).sessionId);
    // Another user's or device's token is as unknown as a made-up one.
    if (s === undefined || s.userId !== userId || s.deviceId !== deviceId) throw unknownSyncSession();
    return s;
  }

  async #create(now: number, userId: string, deviceId: string): Promise<SyncSessionRecord> {
    const deviceKey = deviceKeyOf(userId, deviceId);
    while (this.#sessions.ofDevice(deviceKey).size >= this.#limits.sessionsPerDevice) {
      await this.#expire(this.#sessions.oldestOfDevice(deviceKey) as SyncSessionRecord);
    }
    while (this.#sessions.size >= this.#limits.sessionsTotal) {
      await this.#expire(this.#sessions.oldest() as SyncSessionRecord);
    }
    let id = newSessionId(this.#random);
    while (this.#sessions.get(id) !== undefined) id = newSessionId(this.#random);
    const first: SyncCheckpoint = {
      seq: 0,
      token: formatSince({ sessionId: id, seq: 0, position: 0 }),
      position: 0,
      params: {},
      state: { to_device_sent: 0 },
    };
    const s: SyncSessionRecord = {
      id,
      userId,
      deviceId,
      deviceKey,
      createdAt: now,
      lastUsed: now,
      seq: 0,
      last: first,
      prev: undefined,
      ack: 0,
      waiting: false,
      live: true,
      chain: Promise.resolve(),
    };
    this.#sessions.add(s);
    return s;
  }

  async #handle(
    s: SyncSessionRecord,
    now: number,
    since: string | undefined,
    parsed: ParsedSyncBody,
    timeout: number,
    signal: AbortSignal | undefined,
  ): Promise<SyncOutcome> {
    if (!s.live) throw unknownSyncSession();
    throwIfAborted(signal);
    // A second request while one waits: the first is answered now, with what there is.
    const waiting = this.#waitOf(s);
    if (waiting !== undefined) await this.#finish(waiting, now, undefined);
    let base: SyncCheckpoint;
    if (since === undefined || since === s.last.token) base = s.last;
    else if (s.prev !== undefined && since === s.prev.cp.token) {
      this.#sessions.touch(s, now);
      if (parsed.key === s.prev.key) return { kind: 'response', body: s.prev.response };
      base = s.prev.cp;
    } else throw unknownSyncSession();
    this.#sessions.touch(s, now);
    await this.#reaper.acknowledge(s, base.state.to_device_sent);
    const params = mergeSticky(base.params, parsed, this.#limits);
    const seen = this.#notifications;
    const result = await this.#compute(s, base, params, parsed);
    if (!s.live) throw unknownSyncSession();
    if (result.news || timeout === 0 || since === undefined) {
      return { kind: 'response', body: this.#respond(s, base, parsed.key, params, result) };
    }
    const outcome = this.#startWait(s, now + timeout, base, params, parsed, signal);
    // A change notified while we computed found no wait to wake: look again. Not awaited, since
    // the wake queues behind this very task.
    const w = this.#waitOf(s);
    if (this.#notifications !== seen && w !== undefined) void this.#wake(w, now, false);
    return outcome;
  }

  #compute(s: SyncSessionRecord, base: SyncCheckpoint, params: SyncStickyParams, parsed: ParsedSyncBody) {
    return computeSync({
      source: this.#source,
      userId: s.userId,
      deviceId: s.deviceId,
      params,
      state: base.state,
      request: parsed,
    });
  }

  #respond(
    s: SyncSessionRecord,
    base: SyncCheckpoint,
    key: string,
    params: SyncStickyParams,
    result: SyncComputeResult,
  ): SyncResponseBody {
    const seq = ++s.seq;
    const token = formatSince({ sessionId: s.id, seq, position: result.position });
    const body: SyncResponseBody = { next: token, ...result.body };
    s.last = { seq, token, position: result.position, params, state: result.state };
    s.prev = { cp: base, key, response: body };
    return body;
  }

  #startWait(
    s: SyncSessionRecord,
    deadline: number,
    base: SyncCheckpoint,
    params: SyncStickyParams,
    request: ParsedSyncBody,
    signal: AbortSignal | undefined,
  ): SyncOutcome {
    let resolve!: (b: SyncResponseBody) => void;
    let reject!: (e: unknown) => void;
    const response = new Promise<SyncResponseBody>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const onAbort = (): void => {
      if (this.#waitOf(s) !== w) return;
      this.#endWait(w, s.lastUsed);
      reject(ParleyError.aborted(signal?.reason));
    };
    const w: SyncWait = {
      id: this.#nextWaitId++,
      session: s,
      deadline,
      base,
      params,
      request,
      resolve,
      reject,
      wakeQueued: false,
      detach: () => signal?.removeEventListener('abort', onAbort),
    };
    this.#waiting.set(s, w);
    this.#waits.add(w);
    this.#sessions.setWaiting(s, true, s.lastUsed);
    signal?.addEventListener('abort', onAbort, { once: true });
    return { kind: 'wait', deadline, response };
  }

  #waitOf(s: SyncSessionRecord): SyncWait | undefined {
    return s.waiting ? this.#waiting.get(s) : undefined;
  }

  #endWait(w: SyncWait, now: number): void {
    w.detach();
    this.#waits.delete(w);
    this.#waiting.delete(w.session);
    this.#sessions.setWaiting(w.session, false, now);
  }

  /** Recomputes a waiting request; answers it when there is news or when `force`d. */
  #wake(w: SyncWait, now: number, force: boolean): Promise<void> {
    if (w.wakeQueued && !force) return Promise.resolve();
    w.wakeQueued = true;
    return this.#serial(w.session, async () => {
      w.wakeQueued = false;
      if (this.#waitOf(w.session) !== w) return;
      const result = await this.#compute(w.session, w.base, w.params, w.request);
      if (this.#waitOf(w.session) !== w) return;
      if (result.news || force) await this.#finish(w, now, result);
    }).catch((error: unknown) => {
      if (this.#waitOf(w.session) === w) {
        this.#endWait(w, now);
        w.reject(error);
      }
    });
  }

  /** Answers a waiting request, computing its response unless given. */
  async #finish(w: SyncWait, now: number, result: SyncComputeResult | undefined): Promise<void> {
    const r = result ?? (await this.#compute(w.session, w.base, w.params, w.request));
    if (this.#waitOf(w.session) !== w) return;
    this.#endWait(w, now);
    w.resolve(this.#respond(w.session, w.base, w.request.key, w.params, r));
  }

  async #expireIdle(now: number): Promise<void> {
    for (const s of this.#sessions.idleSince(now - this.#limits.sessionIdleMs)) await this.#expire(s);
  }

  /** Ends a session: its token becomes unknown, a waiting request of it gets the error, and it stops holding to-device messages. */
  async #expire(s: SyncSessionRecord): Promise<void> {
    const w = this.#waitOf(s);
    if (w !== undefined) {
      this.#endWait(w, s.lastUsed);
      w.reject(unknownSyncSession());
    }
    this.#sessions.remove(s);
    await this.#reaper.reap(s.userId, s.deviceId);
  }

  #serial<T>(s: SyncSessionRecord, task: () => Promise<T>): Promise<T> {
    const run = s.chain.then(task, task);
    s.chain = run.catch(() => undefined);
    return run;
  }
}
