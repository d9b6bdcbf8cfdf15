// The HTTP composition: every feature router behind authentication. Beside app.ts (the
// composition root) so that http/ stays a leaf that features import, never the reverse.
import express, { type Express } from 'express';
import type { AppContext } from './app-context.js';
import { devicesRouter } from './devices/devices.routes.js';
import { healthRouter } from './health/health.routes.js';
import { ingestRouter } from './ingest/ingest.routes.js';
import { jobsRouter } from './jobs/jobs.routes.js';
import { modelsRouter } from './models/models.routes.js';
import { predictionsRouter } from './predictions/predictions.routes.js';
import { recordingsRouter } from './recordings/recordings.routes.js';
import { recordingsListRouter } from './recordings/recordings-list.routes.js';
import { closeRouter } from './nights/close.routes.js';
import { nightsRouter } from './nights/nights.routes.js';
import { rescoreRouter } from './rescore/rescore.routes.js';
import { evaluationRouter } from './evaluation/evaluation.routes.js';
import { labelsRouter } from './labels/labels.routes.js';
import { pagesRouter } from './pages/pages.routes.js';
import { summaryRouter } from './summary/summary.routes.js';
import { BULL_BOARD_PATH, bullBoardHandler } from './admin/bull-board.js';
import { apiKeysRouter } from './auth/api-keys.routes.js';
import { auditRouter } from './audit/audit.routes.js';
import { eraseRouter } from './erase/erase.routes.js';
import { exportRouter } from './export/export.routes.js';
import { webhooksRouter } from './webhooks/webhooks.routes.js';
import { authenticate } from './auth/auth.middleware.js';
import { AuthThrottle } from './auth/auth-throttle.js';
import { FallbackWindow } from './auth/fallback-window.js';
import { KeyUsage } from './auth/key-usage.js';
import { RateLimiter } from './auth/rate-limiter.js';
import { RedisSlidingWindow } from './auth/sliding-window.js';
import { openApiRouter } from './openapi/openapi.routes.js';
import { APP_VERSION } from './version.js';
import { errorMiddleware, notFoundRoute } from './http/error-middleware.js';
import { requestContext } from './http/request-context.js';

export function createExpressApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // Which hop's address req.ip is (invalid-key throttling counts per address).
  app.set('trust proxy', ctx.config.TRUST_PROXY);
  app.use(requestContext(ctx.logger, ctx.metrics.httpDuration));
  app.use(healthRouter(ctx));
  app.use(openApiRouter(APP_VERSION));
  // Everything else needs a key; authentication runs before any route, so before any body is read.
  const store = new FallbackWindow(new RedisSlidingWindow(ctx.redis), ctx.logger);
  const guards = {
    limiter: new RateLimiter(store, ctx.config.QUEUE_PREFIX, { perKey: ctx.config.RATE_LIMIT_PER_MINUTE, perTenant: ctx.config.TENANT_RATE_LIMIT_PER_MINUTE }),
    throttle: new AuthThrottle(store, ctx.config.QUEUE_PREFIX, ctx.config.AUTH_FAILURES_PER_MINUTE),
    usage: new KeyUsage(ctx.db, ctx.logger),
  };
  app.use(['/v1', '/recordings', '/admin'], authenticate(ctx, guards, { allowReadOn: /^\/admin\/queues(\/|$)/ }));
  app.use(BULL_BOARD_PATH, bullBoardHandler(ctx.queues));
  // Bodies are parsed by the routes that take one (http/json-body.ts), never in front of every path.
  const features = [apiKeysRouter, auditRouter, devicesRouter, recordingsRouter, recordingsListRouter, closeRouter, nightsRouter, ingestRouter, jobsRouter, modelsRouter, predictionsRouter, rescoreRouter, summaryRouter, labelsRouter, evaluationRouter, pagesRouter, eraseRouter, exportRouter, webhooksRouter];
  for (const router of features) app.use(router(ctx));
  app.use(notFoundRoute);
  app.use(errorMiddleware(ctx.logger));
  return app;
}

/** A worker process's own small server: probes and metrics only. */
export function createProbeApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter(ctx));
  app.use(notFoundRoute);
  app.use(errorMiddleware(ctx.logger));
  return app;
}
