import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { credentialsOf, sameSecret } from '../auth/auth.middleware.js';
import { AppError } from '../errors/app-error.js';
import { readiness } from './readiness.js';

export function healthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const { ready, checks } = await readiness(ctx);
    const failed = Object.entries(checks).filter(([, c]) => !c.ok).map(([name]) => name);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', failed, checks });
  });
  router.get('/metrics', async (req, res) => {
    const token = ctx.config.METRICS_TOKEN;
    if (token && !sameSecret(credentialsOf(req) ?? '', token)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new AppError(401, 'unauthorized', 'metrics need the METRICS_TOKEN as a bearer token');
    }
    res.setHeader('Content-Type', ctx.metrics.registry.contentType);
    res.send(await ctx.metricsText());
  });
  return router;
}
