/**
 * The HTTP function the client is handed instead of calling `fetch` itself: Node, the browser
 * and in-memory tests each provide one. Bodies are strings (JSON text) so an adapter is a few
 * lines over `fetch` and a test double needs no stream handling.
 */

/** The HTTP methods the Parley client API uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One request handed to an {@link HttpFunction}. */
export interface HttpRequest {
  method: HttpMethod;
  /** Absolute URL, query string included. */
  url: string;
  /** Header names are lower case. */
  headers: Record<string, string>;
  /** JSON text, or `undefined` for no body. */
  body: string | undefined;
  /** Cancels the request; the function must reject soon after it fires. */
  signal: AbortSignal | undefined;
}

/** The answer of an {@link HttpFunction}; any status, including 4xx and 5xx, is an answer. */
export interface HttpResponse {
  status: number;
  /** Header names are lower case. */
  headers: Record<string, string>;
  /** The body as text (empty string for none). */
  body: string;
}

/**
 * Performs one HTTP exchange. It resolves with every response the server gave, whatever its
 * status, and rejects only when no response came (network failure, abort).
 */
export type HttpFunction = (request: HttpRequest) => Promise<HttpResponse>;
