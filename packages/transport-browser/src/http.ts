import { createFetchHttp, type FetchHttpOptions, type FetchLike, type HttpFunction } from '@parley/core';

/** An {@link HttpFunction} on the page's `fetch`, looked up at call time so test stubs apply. */
export function browserHttp(options: FetchHttpOptions = {}): HttpFunction {
  const viaGlobal: FetchLike = (url, init) => globalThis.fetch(url, init);
  return createFetchHttp(viaGlobal, options);
}
