import type { Logger } from 'pino';
import type { Handler } from '../http/handler.js';
import { findWebDir, loadWebAssets } from './web-assets.js';
import { webRoutes } from './web-routes.js';

/** Options of {@link installWebApp}. */
export interface InstallWebAppOptions {
  /** The folder holding the built app; default this package's `dist/web`. */
  dir?: string;
}

/** What {@link installWebApp} needs of the server. */
export interface WebAppHost {
  readonly logger: Logger;
  route(method: string, pattern: string, handler: Handler): void;
}

/**
 * Serves the demo web app at `/` when it has been built. Without a build (e.g. tests on the
 * sources) the server runs as before and `/` is a Matrix 404. Returns how many files are served.
 */
export function installWebApp(server: WebAppHost, options: InstallWebAppOptions = {}): number {
  const dir = options.dir ?? findWebDir();
  if (dir === undefined) {
    server.logger.info('demo web app not built (npm run build): nothing served at /');
    return 0;
  }
  let routes: ReturnType<typeof webRoutes>;
  try {
    routes = webRoutes(loadWebAssets(dir));
  } catch (err) {
    // The API works without the demo; a broken build must not keep the server down.
    server.logger.error({ err, dir }, 'demo web app not served');
    return 0;
  }
  for (const r of routes) server.route('GET', r.path, r.handler);
  server.logger.debug({ dir, files: routes.length }, 'demo web app served at /');
  return routes.length;
}
