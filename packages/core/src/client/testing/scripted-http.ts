import type { HttpFunction, HttpMethod, HttpRequest, HttpResponse } from '../http.js';

/** What a route answers: a response, a JSON body with status, or a thrown error. */
export type ScriptedAnswer =
  | HttpResponse
  | { status: number; json: unknown }
  | { throws: unknown }
  | { hang: true };

type Responder = (request: HttpRequest, match: RegExpMatchArray) => ScriptedAnswer | Promise<ScriptedAnswer>;

interface Route {
  method: HttpMethod;
  path: RegExp;
  responder: Responder;
  once: boolean;
}

/**
 * An in-memory {@link HttpFunction} for tests: routes by method and path pattern, records every
 * request, and answers what the test scripted. An unscripted request fails loudly (404 with a
 * Parley errcode) so a test never passes by accident on an unplanned call.
 */
export class ScriptedHttp {
  readonly requests: HttpRequest[] = [];
  readonly #routes: Route[] = [];

  /** Answers every matching request with `responder`. */
  on(method: HttpMethod, path: RegExp, responder: Responder | ScriptedAnswer): this {
    this.#routes.push({ method, path, responder: toResponder(responder), once: false });
    return this;
  }

  /** Answers the next matching request only; checked before the permanent routes, in order. */
  once(method: HttpMethod, path: RegExp, responder: Responder | ScriptedAnswer): this {
    this.#routes.push({ method, path, responder: toResponder(responder), once: true });
    return this;
  }

  /** Requests whose method and path match. */
  calls(method: HttpMethod, path: RegExp): HttpRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(pathOf(r.url)));
  }

  readonly fetch: HttpFunction = async (request) => {
    this.requests.push(request);
    const pathname = pathOf(request.url);
    const ordered = [...this.#routes.filter((r) => r.once), ...this.#routes.filter((r) => !r.once)];
    for (const route of ordered) {
      if (route.method !== request.method) continue;
      const match = pathname.match(route.path);
      if (!match) continue;
      if (route.once) this.#routes.splice(this.#routes.indexOf(route), 1);
      const answer = await route.responder(request, match);
      return settle(answer, request);
    }
    return {
      status: 404,
      headers: {},
      body: JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: `unscripted ${request.method} ${pathname}` }),
    };
  };
}

/** The decoded path of an absolute URL, without its query. */
export function pathOf(url: string): string {
  return decodeURIComponent(url.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0] ?? '');
}

/** The decoded query parameters of a URL. */
export function queryOf(url: string): Record<string, string> {
  const out: Record<string, string> = {};
  const q = url.split('?')[1];
  if (!q) return out;
  for (const pair of q.split('&')) {
    const [k, v = ''] = pair.split('=');
    if (k) out[decodeURIComponent(k)] = decodeURIComponent(v);
  }
  return out;
}

function toResponder(r: Responder | ScriptedAnswer): Responder {
  return typeof r === 'function' ? r : () => r;
}

function settle(answer: ScriptedAnswer, request: HttpRequest): Promise<HttpResponse> {
  if ('throws' in answer) return Promise.reject(answer.throws);
  if ('hang' in answer) {
    // Never answers; rejects only when the request is aborted, like a real fetch.
    return new Promise((_, reject) => {
      request.signal?.addEventListener('abort', () => reject(request.signal?.reason), { once: true });
    });
  }
  if ('json' in answer)
    return Promise.resolve({ status: answer.status, headers: {}, body: JSON.stringify(answer.json) });
  return Promise.resolve(answer);
}
