import { createFetchHttp, type FetchHttpOptions, type FetchLike, type HttpFunction } from '@parley/core';

/** An {@link HttpFunction} on Node's built-in `fetch`, looked up at call time so test stubs apply. */
export function nodeHttp(options: FetchHttpOptions = {}): HttpFunction {
  const viaGlobal: FetchLike = (url, init) => globalThis.fetch(url, init);
  return createFetchHttp(viaGlobal, options);
}
