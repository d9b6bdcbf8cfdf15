import express, { type Express } from 'express';
import type { AppContext } from '../app-context.js';
import { devicesRouter } from '../devices/devices.routes.js';
import { healthRouter } from '../health/health.routes.js';
import { ingestRouter } from '../ingest/ingest.routes.js';
import { jobsRouter } from '../jobs/jobs.routes.js';
import { modelsRouter } from '../models/models.routes.js';
import { predictionsRouter } from '../predictions/predictions.routes.js';
import { recordingsRouter } from '../recordings/recordings.routes.js';
import { recordingsListRouter } from '../recordings/recordings-list.routes.js';
import { closeRouter } from '../nights/close.routes.js';
import { nightsRouter } from '../nights/nights.routes.js';
import { rescoreRouter } from '../rescore/rescore.routes.js';
import { evaluationRouter } from '../evaluation/evaluation.routes.js';
import { labelsRouter } from '../labels/labels.routes.js';
import { pagesRouter } from '../pages/pages.routes.js';
import { summaryRouter } from '../summary/summary.routes.js';
import { BULL_BOARD_PATH, bullBoardHandler } from '../admin/bull-board.js';
import { apiKeysRouter } from '../auth/api-keys.routes.js';
import { authenticate } from '../auth/auth.middleware.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import { openApiRouter } from '../openapi/openapi.routes.js';
import { APP_VERSION } from '../version.js';
import { errorMiddleware, notFoundRoute } from './error-middleware.js';
import { requestContext } from './request-context.js';

export function createExpressApp(ctx: AppContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestContext(ctx.logger, ctx.metrics.httpDuration));
  app.use(healthRouter(ctx));
  app.use(openApiRouter(APP_VERSION));
  // Everything else needs a key; authentication runs before body parsing so anonymous clients
  // cannot make the server parse large bodies.
  const limiter = new RateLimiter(ctx.redis, ctx.config.QUEUE_PREFIX, ctx.config.RATE_LIMIT_PER_MINUTE);
  app.use(['/v1', '/recordings', '/admin'], authenticate(ctx, limiter, { allowReadOn: /^\/admin\/queues(\/|$)/ }));
  app.use(BULL_BOARD_PATH, bullBoardHandler(ctx.queues));
  // strict: false parses any JSON value, so a valid non-object body (`"x"`, `42`, `null`) reaches
  // requireObjectBody and gets 400 bad_request; only text that is not JSON is 400 invalid_json.
  app.use(express.json({ limit: ctx.config.MAX_BODY_BYTES, strict: false }));
  const features = [apiKeysRouter, devicesRouter, recordingsRouter, recordingsListRouter, closeRouter, nightsRouter, ingestRouter, jobsRouter, modelsRouter, predictionsRouter, rescoreRouter, summaryRouter, labelsRouter, evaluationRouter, pagesRouter];
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
