import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { credentialsOf, sameSecret } from '../auth/auth.middleware.js';
import { AppError } from '../errors/app-error.js';
import { Readiness } from './readiness.js';
import { Liveness, ReadinessBody } from './health.schemas.js';
import { reply } from '../http/reply.js';

export function healthRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    reply(res, Liveness, { status: 'ok' });
  });
  const readiness = new Readiness(ctx);
  router.get('/readyz', async (req, res) => {
    const { ready, failed, checks } = await readiness.report();
    // Anyone may probe; only the operator token sees why (driver messages name hosts, addresses,
    // paths and migrations). The reasons are in the logs either way.
    const token = ctx.config.NOCTIS_ADMIN_TOKEN;
    const operator = token !== undefined && sameSecret(credentialsOf(req) ?? '', token);
    reply(res, ReadinessBody, { status: ready ? 'ready' : 'not_ready', failed, ...(operator ? { checks } : {}) }, ready ? 200 : 503);
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
