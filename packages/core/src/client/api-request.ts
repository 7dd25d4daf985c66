import { ParleyError, throwIfAborted } from '../errors.js';
import type { Random, Timers } from '../io.js';
import { isRetryable, parleyErrorFromResponse, parleyErrorFromThrown } from './api-error.js';
import type { HttpFunction, HttpMethod } from './http.js';
import { fullJitter } from './reconnect-policy.js';
import { sleep } from './sleep.js';

/** Retry limits for idempotent requests (PUT with a txnId). */
export interface ApiRetryOptions {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts?: number;
  /** Un-jittered delay before the first retry. Default 500 ms. */
  baseDelayMs?: number;
  /** Cap on the un-jittered delay. Default 10 s. */
  maxDelayMs?: number;
  /** A server's `retry_after_ms` above this is cut to it. Default 60 s. */
  maxRetryAfterMs?: number;
}

/** What every API call needs: where, how, and who. */
export interface ApiContext {
  http: HttpFunction;
  /** e.g. `https://chat.example.org`, without a trailing slash. */
  baseUrl: string;
  timers: Timers;
  random: Random;
  /** Read at each call, so a token change applies to the next request. */
  accessToken: () => string | undefined;
  retry?: ApiRetryOptions;
}

/** One call of the client API. */
export interface ApiCall {
  method: HttpMethod;
  /** Path with its parameters already encoded, e.g. `/_matrix/client/v3/rooms/%21r%3Ahs/leave`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** False for register and login. */
  auth: boolean;
  /** True for PUTs that carry a txnId: sending them twice is harmless, so failures are retried. */
  idempotent: boolean;
}

function buildUrl(baseUrl: string, path: string, query: ApiCall['query']): string {
  const pairs = Object.entries(query ?? {}).filter((e): e is [string, string | number] => e[1] !== undefined);
  if (pairs.length === 0) return baseUrl + path;
  const qs = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  return `${baseUrl}${path}?${qs}`;
}

/** One attempt: resolves with the parsed JSON body or rejects with a mapped {@link ParleyError}. */
async function attempt<T>(ctx: ApiContext, call: ApiCall, signal: AbortSignal | undefined): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  if (call.auth) {
    const token = ctx.accessToken();
    if (token === undefined) throw ParleyError.matrix('M_MISSING_TOKEN', 'Not logged in', 401);
    headers.authorization = `Bearer ${token}`;
  }
  let response: Awaited<ReturnType<HttpFunction>>;
  try {
    response = await ctx.http({
      method: call.method,
      url: buildUrl(ctx.baseUrl, call.path, call.query),
      headers,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      signal,
    });
  } catch (thrown) {
    throw parleyErrorFromThrown(thrown, signal);
  }
  throwIfAborted(signal);
  if (response.status < 200 || response.status >= 300) throw parleyErrorFromResponse(response);
  if (response.body === '') return {} as T;
  try {
    return JSON.parse(response.body) as T;
  } catch (cause) {
    throw ParleyError.protocol(`${call.method} ${call.path}: the server's answer is not JSON`, cause);
  }
}

/**
 * Performs `call`, retrying an idempotent one on network failures, 5xx and 429 with capped
 * exponential backoff and full jitter, or after the server's `retry_after_ms` when it gives one.
 */
export async function apiRequest<T>(ctx: ApiContext, call: ApiCall, signal?: AbortSignal): Promise<T> {
  throwIfAborted(signal);
  const maxAttempts = call.idempotent ? (ctx.retry?.maxAttempts ?? 5) : 1;
  const base = ctx.retry?.baseDelayMs ?? 500;
  const cap = ctx.retry?.maxDelayMs ?? 10_000;
  const maxRetryAfter = ctx.retry?.maxRetryAfterMs ?? 60_000;
  for (let n = 1; ; n++) {
    try {
      return await attempt<T>(ctx, call, signal);
    } catch (error) {
      const e = error as ParleyError;
      if (n >= maxAttempts || !isRetryable(e)) throw e;
      const retryAfter = e.data?.retry_after_ms;
      const delay =
        typeof retryAfter === 'number' && retryAfter >= 0
          ? Math.min(retryAfter, maxRetryAfter)
          : fullJitter(ctx.random, Math.min(cap, base * 2 ** (n - 1)));
      await sleep(ctx.timers, delay, signal);
    }
  }
}
