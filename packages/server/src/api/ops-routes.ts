import type { Handler } from '../http/handler.js';
import type { Router } from '../http/router.js';
import type { ApiDeps } from './api-deps.js';

/** Registers `/health`, `/metrics` and the Matrix `/versions` probe. */
export function addOpsRoutes(router: Router<Handler>, deps: ApiDeps): void {
  router.add('GET', '/health', async (ctx) => {
    try {
      await deps.storage.ping();
      return { body: { status: 'ok', database: 'ok' } };
    } catch (err) {
      ctx.log.error({ err }, 'health check: database unavailable');
      return { status: 503, body: { status: 'error', database: 'unavailable' } };
    }
  });

  router.add('GET', '/metrics', async () => ({
    text: await deps.metrics.render(),
    contentType: deps.metrics.contentType,
  }));

  router.add('GET', '/_matrix/client/versions', async () => ({
    body: { versions: ['v1.11'], unstable_features: {} },
  }));
}
