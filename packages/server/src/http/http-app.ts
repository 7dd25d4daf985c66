import type { IncomingMessage, ServerResponse } from 'node:http';
import { isParleyError } from '@parley/core';
import type { Logger } from 'pino';
import type { Requester } from '../auth/authenticator.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { Handler, HandlerResult, RequestContext } from './handler.js';
import { matrixError, toErrorAnswer } from './matrix-errors.js';
import { readJsonObject } from './read-body.js';
import type { Router } from './router.js';

/** What {@link HttpApp} is built from. */
export interface HttpAppOptions {
  router: Router<Handler>;
  logger: Logger;
  metrics: ServerMetrics;
  maxBodyBytes: number;
  maxInFlight: number;
  authenticate(req: IncomingMessage, query: URLSearchParams): Promise<Requester>;
}

// Browsers (the demo app, the browser SDK) call from other origins; Matrix servers allow any.
const CORS_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers': 'X-Requested-With, Content-Type, Authorization',
};

/**
 * The request listener: routing, the in-flight limit, Matrix error answers, one log line and
 * the metrics of every request, and the drain that graceful shutdown waits for.
 */
export class HttpApp {
  readonly #o: HttpAppOptions;
  #inFlight = 0;
  /** Requests in flight that count against `maxInFlight`: all but waiting long-polls. */
  #limited = 0;
  #nextId = 1;
  #draining = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: HttpAppOptions) {
    this.#o = options;
  }

  /** Requests being handled now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests being handled now that count against `maxInFlight` (waiting long-polls do not). */
  get limitedInFlight(): number {
    return this.#limited;
  }

  /** From now on every response closes its connection (graceful shutdown). */
  startDraining(): void {
    this.#draining = true;
  }

  /** Resolves when no request is in flight. */
  waitIdle(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** The `request` listener of the HTTP server. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const id = this.#nextId++;
    const method = req.method ?? 'GET';
    let route = 'unmatched';
    let pathname = '';
    let userId: string | undefined;
    let limited = true;
    const release = (): void => {
      if (!limited) return;
      limited = false;
      this.#limited--;
    };
    this.#inFlight++;
    this.#limited++;
    this.#o.metrics.inFlight.inc();
    res.on('close', () => {
      this.#inFlight--;
      release();
      const { metrics, logger } = this.#o;
      metrics.inFlight.dec();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.writableFinished ? res.statusCode : 0;
      metrics.requests.inc({ method, route, status: String(status) });
      metrics.duration.observe({ method, route }, seconds);
      // The path only: a query string may carry an access token.
      logger.info(
        { reqId: id, method, route, path: pathname, status, ms: Math.round(seconds * 1e4) / 10, userId },
        status === 0 ? 'request aborted' : 'request',
      );
      if (this.#inFlight === 0) for (const w of this.#idleWaiters.splice(0)) w();
    });

    for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);

    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      this.#send(req, res, toErrorAnswer(matrixError('M_UNRECOGNIZED', 'Malformed request target')));
      return;
    }
    pathname = url.pathname;
    if (this.#limited > this.#o.maxInFlight) {
      const err = matrixError('M_LIMIT_EXCEEDED', 'Too many requests in flight', { retry_after_ms: 1000 });
      this.#send(req, res, toErrorAnswer(err));
      return;
    }
    const match = this.#o.router.match(method === 'HEAD' ? 'GET' : method, url.pathname);
    if (match.kind === 'bad_path') {
      this.#send(
        req,
        res,
        toErrorAnswer(matrixError('M_INVALID_PARAM', 'Malformed percent-encoding in path')),
      );
      return;
    }
    if (match.kind === 'not_found') {
      this.#send(req, res, toErrorAnswer(matrixError('M_UNRECOGNIZED', 'Unrecognized request')), 404);
      return;
    }
    route = match.pattern;
    if (match.kind === 'method_not_allowed') {
      if (method === 'OPTIONS') {
        res.writeHead(204, { allow: match.allowed.join(', ') }).end();
        return;
      }
      res.setHeader('allow', match.allowed.join(', '));
      this.#send(req, res, toErrorAnswer(matrixError('M_UNRECOGNIZED', 'Unrecognized request')), 405);
      return;
    }
    const log = this.#o.logger.child({ reqId: id });
    const ctx: RequestContext = {
      req,
      params: match.params,
      query: url.searchParams,
      ip: req.socket.remoteAddress ?? 'unknown',
      log,
      body: (opts) => readJsonObject(req, { limit: this.#o.maxBodyBytes, allowEmpty: opts?.allowEmpty }),
      auth: async () => {
        const requester = await this.#o.authenticate(req, url.searchParams);
        userId = requester.userId;
        return requester;
      },
      longPolling: release,
    };
    match.handler(ctx).then(
      (result) => this.#sendResult(req, res, result),
      (err: unknown) => {
        if (isParleyError(err) && err.code === 'aborted') {
          res.destroy();
          return;
        }
        const answer = toErrorAnswer(err);
        if (answer.unexpected) log.error({ err, route }, 'handler failed');
        this.#send(req, res, answer);
      },
    );
  };

  #sendResult(req: IncomingMessage, res: ServerResponse, result: HandlerResult): void {
    if (result.headers && !res.headersSent) {
      for (const [k, v] of Object.entries(result.headers)) res.setHeader(k, v);
    }
    if (result.text !== undefined) {
      this.#write(
        req,
        res,
        result.status ?? 200,
        result.contentType ?? 'text/plain; charset=utf-8',
        result.text,
      );
      return;
    }
    this.#write(req, res, result.status ?? 200, 'application/json', JSON.stringify(result.body ?? {}));
  }

  #send(
    req: IncomingMessage,
    res: ServerResponse,
    answer: { status: number; body: unknown },
    status?: number,
  ): void {
    this.#write(req, res, status ?? answer.status, 'application/json', JSON.stringify(answer.body));
  }

  #write(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, data: string): void {
    if (res.headersSent || res.destroyed) return;
    // A body left unread (refused as too large, or never needed) would be parsed as the next
    // request on a kept-alive connection, so such a connection is closed after the answer.
    if (!req.complete || this.#draining) res.setHeader('connection', 'close');
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(data) });
    res.end(req.method === 'HEAD' ? undefined : data);
  }
}
