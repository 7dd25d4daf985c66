import type { Handler, HandlerResult } from '../http/handler.js';
import type { WebAsset } from './web-assets.js';

// The app talks only to its own origin (HTTP and the realtime WebSocket); nothing inline.
const CSP =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; " +
  "form-action 'self'; frame-ancestors 'none'";

const HEADERS: Readonly<Record<string, string>> = {
  // Fixed file names: the browser asks again each time (cheap on the server, never stale).
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'content-security-policy': CSP,
  'referrer-policy': 'no-referrer',
};

/** A route of the static web app: method `GET` (HEAD is answered too) at `path`. */
export interface WebRoute {
  path: string;
  handler: Handler;
}

/**
 * The routes serving `assets`: each at its own path, and `index.html` also at `/`. Any other path
 * still falls through to the router's Matrix `404 M_UNRECOGNIZED`.
 */
export function webRoutes(assets: readonly WebAsset[]): WebRoute[] {
  const routes: WebRoute[] = [];
  for (const asset of assets) {
    const result: HandlerResult = { text: asset.text, contentType: asset.contentType, headers: HEADERS };
    const handler: Handler = async () => result;
    routes.push({ path: asset.path, handler });
    if (asset.path === '/index.html') routes.push({ path: '/', handler });
  }
  return routes;
}
