import { ParleyError } from '../errors.js';
import type { HttpFunction } from './http.js';

/** The part of a WHATWG `fetch` response the client reads. */
export interface FetchResponseLike {
  status: number;
  headers: {
    forEach(callback: (value: string, key: string) => void): void;
    get(name: string): string | null;
  };
  text(): Promise<string>;
}

/** A WHATWG `fetch` (the global of Node 18+ and browsers fits). */
export type FetchLike = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: string | undefined;
    signal: AbortSignal | undefined;
  },
) => Promise<FetchResponseLike>;

/** Options of {@link createFetchHttp}. */
export interface FetchHttpOptions {
  /** Answers larger than this fail with `too_large` instead of filling memory. Default 16 MiB. */
  maxResponseBytes?: number;
}

/**
 * An {@link HttpFunction} over a `fetch` implementation, shared by the Node and browser
 * transports. The fetch is passed in (never read from a global here) so core stays free of IO.
 */
export function createFetchHttp(fetchImpl: FetchLike, options: FetchHttpOptions = {}): HttpFunction {
  const max = options.maxResponseBytes ?? 16 * 1024 * 1024;
  return async (request) => {
    const response = await fetchImpl(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: request.signal,
    });
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > max) {
      throw new ParleyError('too_large', `The answer (${declared} bytes) exceeds maxResponseBytes (${max})`);
    }
    const body = await response.text();
    // A string's length counts UTF-16 units, at most the byte count: a cheap upper check.
    if (body.length > max) {
      throw new ParleyError('too_large', `The answer exceeds maxResponseBytes (${max})`);
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value;
    });
    return { status: response.status, headers, body };
  };
}
