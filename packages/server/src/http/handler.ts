import type { IncomingMessage } from 'node:http';
import type { JsonObject } from '@parley/core';
import type { Logger } from 'pino';
import type { Requester } from '../auth/authenticator.js';

/** What a route handler is given. */
export interface RequestContext {
  req: IncomingMessage;
  /** Decoded path parameters of the route pattern. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The client's address. */
  ip: string;
  log: Logger;
  /** Reads the body as one JSON object, within the configured size limit. */
  body(options?: { allowEmpty?: boolean }): Promise<JsonObject>;
  /** The user and device of the access token; throws 401 without a valid one. */
  auth(): Promise<Requester>;
  /**
   * Marks the request as a long-poll that now waits for news: from here on it no longer counts
   * against `maxInFlight` (waiting long-polls are bounded by the sync session caps and by
   * `maxConnections` instead), so idle long-polls cannot starve other requests. It still counts
   * for the graceful-shutdown drain. Calling it again does nothing.
   */
  longPolling(): void;
}

/**
 * A handler's answer: a JSON `body`, or a `text` body of `contentType`, with a status (200 by
 * default).
 */
export interface HandlerResult {
  status?: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  /** Extra response headers (e.g. `cache-control` of static files). */
  headers?: Readonly<Record<string, string>>;
}

/** A route handler. Throw a Matrix `ParleyError` to answer an error. */
export type Handler = (ctx: RequestContext) => Promise<HandlerResult>;
