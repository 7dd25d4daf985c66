import { parseJsonStrict } from '@parley/core';

/** The outcome of one outgoing HTTP request: a JSON answer, or why there is none. */
export type HttpJsonResult =
  | { ok: true; status: number; body: unknown }
  | {
      ok: false;
      /** The HTTP status; absent when no answer came (refused, reset, timeout, aborted). */
      status?: number;
      /** From a 429's `retry_after_ms` or `Retry-After`. */
      retryAfterMs?: number;
      /** The Matrix `errcode` of an error answer, when it had one. */
      errcode?: string;
      error: string;
      /** True when the caller's signal aborted the request. */
      aborted?: boolean;
    };

/** Options of {@link fetchJson}. */
export interface FetchJsonOptions {
  method: string;
  headers?: Record<string, string>;
  /** Sent as the body (already serialised JSON). */
  body?: string;
  timeoutMs: number;
  maxResponseBytes: number;
  signal?: AbortSignal;
}

async function readLimited(res: Response, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > limit) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function retryAfter(res: Response, body: unknown): number | undefined {
  const ms = (body as { retry_after_ms?: unknown } | undefined)?.retry_after_ms;
  if (typeof ms === 'number' && ms >= 0) return ms;
  const h = res.headers.get('retry-after');
  if (h !== null && /^\d{1,9}$/.test(h)) return Number(h) * 1000;
  return undefined;
}

/**
 * One HTTP request whose answer is JSON: bounded in time (`timeoutMs`, or the caller's `signal`)
 * and in size (`maxResponseBytes`; a larger answer is an error, never buffered), parsed strictly
 * (canonical-JSON rules). Never throws: every failure is a result.
 */
export async function fetchJson(url: string, o: FetchJsonOptions): Promise<HttpJsonResult> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal === undefined ? timeout : AbortSignal.any([o.signal, timeout]);
  let res: Response;
  try {
    res = await fetch(url, {
      method: o.method,
      headers: { ...(o.body === undefined ? {} : { 'content-type': 'application/json' }), ...o.headers },
      ...(o.body === undefined ? {} : { body: o.body }),
      signal,
      redirect: 'error',
    });
  } catch (err) {
    const aborted = o.signal?.aborted === true;
    const why = timeout.aborted ? 'timed out' : aborted ? 'aborted' : (err as Error).message;
    return { ok: false, error: `${o.method} ${url}: ${why}`, ...(aborted ? { aborted } : {}) };
  }
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readLimited(res, o.maxResponseBytes);
  } catch (err) {
    return { ok: false, status: res.status, error: `reading the answer failed: ${(err as Error).message}` };
  }
  if (bytes === undefined) {
    return { ok: false, status: res.status, error: `answer larger than ${o.maxResponseBytes} bytes` };
  }
  let body: unknown;
  try {
    body = bytes.length === 0 ? undefined : parseJsonStrict(bytes);
  } catch {
    body = undefined;
  }
  if (res.status >= 200 && res.status < 300) {
    if (body === undefined) return { ok: false, status: res.status, error: 'the answer is not JSON' };
    return { ok: true, status: res.status, body };
  }
  const b = body as { errcode?: unknown; error?: unknown } | undefined;
  const errcode = typeof b?.errcode === 'string' ? b.errcode : undefined;
  const ra = res.status === 429 ? retryAfter(res, body) : undefined;
  return {
    ok: false,
    status: res.status,
    error: `HTTP ${res.status}${typeof b?.error === 'string' ? `: ${b.error.slice(0, 200)}` : ''}`,
    ...(errcode === undefined ? {} : { errcode }),
    ...(ra === undefined ? {} : { retryAfterMs: ra }),
  };
}
