/**
 * A small path router: a route is a method and a pattern of `/`-separated segments, each a
 * literal, a `:name` parameter (one non-empty segment) or a last `:name?` parameter (which may be
 * empty, as in Matrix's `/state/{type}/{stateKey}` with an empty state key).
 */

type Segment = { literal: string } | { param: string; optional: boolean };

interface Route<H> {
  method: string;
  pattern: string;
  segments: Segment[];
  handler: H;
}

/** The outcome of {@link Router.match}. */
export type RouteMatch<H> =
  | { kind: 'found'; handler: H; pattern: string; params: Record<string, string> }
  | { kind: 'method_not_allowed'; pattern: string; allowed: string[] }
  | { kind: 'not_found' }
  | { kind: 'bad_path' };

function parsePattern(pattern: string): Segment[] {
  return pattern
    .split('/')
    .slice(1)
    .map((s, i, all) => {
      if (!s.startsWith(':')) return { literal: s };
      const optional = s.endsWith('?');
      if (optional && i !== all.length - 1) throw new Error(`optional parameter must be last: ${pattern}`);
      return { param: s.slice(1, optional ? -1 : undefined), optional };
    });
}

/** Routes requests by method and path to handlers of type `H`. */
export class Router<H> {
  readonly #routes: Route<H>[] = [];

  /** Adds a route. Patterns start with `/`. */
  add(method: string, pattern: string, handler: H): void {
    this.#routes.push({ method, pattern, segments: parsePattern(pattern), handler });
  }

  /** Finds the route for `method` and the raw (still percent-encoded) `pathname`. */
  match(method: string, pathname: string): RouteMatch<H> {
    let parts: string[];
    try {
      parts = pathname.split('/').slice(1).map(decodeURIComponent);
    } catch {
      return { kind: 'bad_path' };
    }
    const allowed: string[] = [];
    let pathPattern: string | undefined;
    for (const route of this.#routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === method)
        return { kind: 'found', handler: route.handler, pattern: route.pattern, params };
      allowed.push(route.method);
      pathPattern ??= route.pattern;
    }
    if (pathPattern !== undefined) return { kind: 'method_not_allowed', pattern: pathPattern, allowed };
    return { kind: 'not_found' };
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const part = parts[i]!;
    if ('literal' in seg) {
      if (seg.literal !== part) return undefined;
    } else {
      if (part === '' && !seg.optional) return undefined;
      params[seg.param] = part;
    }
  }
  return params;
}
