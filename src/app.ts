import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from 'bullmq';
import type { AppContext } from './app-context.js';
import type { Config } from './config/config.js';
import { createDb } from './db/connection.js';
import { poolDemand } from './db/pool-budget.js';
import { answerClientErrorsAsJson } from './http/client-error.js';
import { createExpressApp, createProbeApp } from './express-app.js';
import { Sweeper } from './jobs/sweeper.js';
import { IdleCloser } from './nights/idle-closer.js';
import { processErase } from './erase/erase.processor.js';
import { processRetention } from './retention/retention.processor.js';
import { syncRetention } from './retention/retention.schedule.js';
import { processWebhookDelivery } from './webhooks/webhook-delivery.processor.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { processIngest } from './ingest/ingest.processor.js';
import { nightScoringFinalFailure, processNightScoring } from './night-scoring/night-scoring.processor.js';
import { createLogger, type Logger } from './logging/logger.js';
import { createMetrics, setActiveModel } from './metrics/metrics.js';
import { registerRuntimeMetrics } from './metrics/runtime-metrics.js';
import { JOB_TYPES, oldestUnfinishedAges } from './jobs/jobs.waiting.js';
import { ModelRegistry } from './models/model-registry.js';
import { ModelSync } from './models/model-sync.js';
import { processPredict } from './predictions/predict.processor.js';
import { allQueues, closeQueues, createQueues } from './queues/queues.js';
import { closeRedis, createRedisClient } from './redis/connections.js';
import { createWorker } from './jobs/job-worker.js';
import { processRescore, rescoreFinalFailure } from './rescore/rescore.processor.js';
import { syncRescoreSchedule } from './rescore/rescore.schedule.js';
import { waitForRedis } from './queues/redis-ready.js';

/** Awaits start-up work that needs Redis only when Redis answered; otherwise lets it finish later. */
async function startWhileUp(redisUp: boolean, work: Promise<unknown>, onError: (err: unknown) => void): Promise<void> {
  const settled = work.then(() => undefined, onError);
  if (redisUp) await settled;
}

export interface AppOptions {
  readonly config: Config;
  /** Re-reads configuration for model reloads; defaults to returning `config`. */
  readonly readConfig?: () => Config;
  /** `web` serves the API; `worker` runs the queue processors and the sweeper. */
  readonly roles: { readonly web: boolean; readonly worker: boolean };
  readonly logger?: Logger;
  /** Worker-only processes serve probes and metrics here when set. */
  readonly probePort?: number;
  /** Replaces this process's registry as the /metrics source (cluster mode aggregates). */
  readonly metricsText?: () => Promise<string>;
}

/** The composition root: builds every dependency once and owns their start and stop order. */
export class App {
  private server: Server | null = null;
  private workers: Worker[] = [];
  private sweeper: Sweeper | null = null;
  private idleCloser: IdleCloser | null = null;
  private dispatcher: WebhookDispatcher | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly ctx: AppContext,
    private readonly options: AppOptions,
  ) {}

  static create(options: AppOptions): App {
    const { config } = options;
    const role = options.roles.web && options.roles.worker ? 'all' : options.roles.web ? 'web' : 'worker';
    const logger = options.logger ?? createLogger(config.LOG_LEVEL, { role });
    const metrics = createMetrics(role, { exemplars: config.METRICS_EXEMPLARS });
    const { db, pool } = createDb(config.DATABASE_URL, config.DB_POOL_SIZE);
    const redis = createRedisClient(config.REDIS, 'command');
    redis.on('error', (err) => logger.debug({ err }, 'redis connection error'));
    const queues = createQueues(redis, config.QUEUE_PREFIX, config.QUEUE_SHARDS);
    for (const queue of allQueues(queues)) queue.on('error', (err) => logger.debug({ err }, 'queue error'));
    const registry = new ModelRegistry(config.MODELS_DIR, logger);
    const modelSync = new ModelSync({ redis, openSubscriber: () => createRedisClient(config.REDIS, 'subscriber'), queuePrefix: config.QUEUE_PREFIX, registry, metrics, logger, db, checkEveryMs: config.MODEL_SYNC_INTERVAL_SECONDS * 1000 });
    registerRuntimeMetrics(metrics, queues, pool, { types: JOB_TYPES, oldestAges: () => oldestUnfinishedAges(db) });
    const metricsText = options.metricsText ?? (() => metrics.registry.metrics());
    const ctx: AppContext = { config, readConfig: options.readConfig ?? (() => config), db, pool, redis, queues, registry, modelSync, metrics, logger, metricsText };
    return new App(ctx, options);
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  start(): Promise<void> {
    this.starting ??= this.startNow();
    return this.starting;
  }

  private async startNow(): Promise<void> {
    const { ctx, options } = this;
    const demand = poolDemand(ctx.config, options.roles);
    if (ctx.config.DB_POOL_SIZE < demand.needed) {
      ctx.logger.warn(
        { DB_POOL_SIZE: ctx.config.DB_POOL_SIZE, needed: demand.needed, parts: demand.parts },
        `DB_POOL_SIZE ${ctx.config.DB_POOL_SIZE} is below the ${demand.needed} connections this process can hold at once; under full load work waits for connections`,
      );
    }
    const redisUp = await waitForRedis(ctx.redis, 5000);
    if (!redisUp) ctx.logger.warn('redis not reachable at start; readiness will say so');
    await ctx.registry.load(await ctx.modelSync.startupVersion(ctx.config.ACTIVE_MODEL_VERSION));
    setActiveModel(ctx.metrics, ctx.registry.active()?.version ?? null);
    // Without Redis these would wait for it (a subscription, BullMQ's connection) and the process
    // would never start serving; they finish on their own once Redis answers.
    await startWhileUp(redisUp, ctx.modelSync.start(), (err) => ctx.logger.warn({ err }, 'model sync not subscribed'));
    if (options.roles.worker) {
      const concurrency = ctx.config.WORKER_CONCURRENCY;
      // Every shard's ingest and night queues get a worker of their own (WORKER_CONCURRENCY each).
      for (const shard of ctx.queues.shards) {
        this.workers.push(createWorker(ctx, 'ingest', shard.ingest, (c, id, log) => processIngest(c, id, log), concurrency));
        this.workers.push(createWorker(ctx, 'night', shard.night, (c, _id, log, job, token) => processNightScoring(c, log, job, token), concurrency, { onFinalFailure: (c, job, err) => nightScoringFinalFailure(c, job, err) }));
      }
      this.workers.push(createWorker(ctx, 'predict', ctx.queues.predict, (c, id) => processPredict(c, id), concurrency));
      this.workers.push(createWorker(ctx, 'rescore', ctx.queues.rescore, processRescore, ctx.config.RESCORE_CONCURRENCY, { onFinalFailure: rescoreFinalFailure }));
      // One erase at a time per process: erasing is background housekeeping, not latency-bound.
      this.workers.push(createWorker(ctx, 'erase', ctx.queues.erase, (c, id, log) => processErase(c, id, log), 1));
      // Deliveries wait on other people's servers: their own queue and concurrency, so a slow
      // receiver holds one slot, never ingest's. Attempts are recorded by the processor itself.
      this.workers.push(createWorker(ctx, 'webhook', ctx.queues.webhook, (c, _id, log, job) => processWebhookDelivery(c, log, job), ctx.config.WEBHOOK_CONCURRENCY, { onFinalFailure: async () => undefined }));
      this.dispatcher = new WebhookDispatcher(ctx);
      this.dispatcher.start();
      // A retention pass stands for no row of jobs: a failed one is retried by the next tick.
      this.workers.push(createWorker(ctx, 'retention', ctx.queues.retention, (c, _id, log) => processRetention(c, log), 1, { onFinalFailure: async () => undefined }));
      await startWhileUp(redisUp, syncRetention(ctx), (err) => ctx.logger.warn({ err }, 'could not sync retention'));
      await startWhileUp(redisUp, syncRescoreSchedule(ctx), (err) => ctx.logger.warn({ err }, 'could not sync the re-score schedule'));
      this.sweeper = new Sweeper(ctx);
      this.sweeper.start();
      this.idleCloser = new IdleCloser(ctx);
      this.idleCloser.start();
    }
    const port = options.roles.web ? ctx.config.PORT : options.probePort;
    if (port !== undefined) {
      const app = options.roles.web ? createExpressApp(ctx) : createProbeApp(ctx);
      await new Promise<void>((resolve, reject) => {
        // Express 5 hands a listen error (EADDRINUSE) to this callback, not only to 'error'.
        const server = app.listen(port, (err?: Error) => (err ? reject(err) : resolve()));
        answerClientErrorsAsJson(server);
        server.once('error', reject);
        this.server = server;
      });
      ctx.logger.info({ port: this.port, roles: options.roles }, 'listening');
    }
  }

  /** Idempotent; stops in a fixed order: HTTP, workers, sweeper and idle closer, sync, queues, Redis, database. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    await this.starting?.catch(() => undefined);
    const { ctx } = this;
    const server = this.server;
    if (server) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    }
    await Promise.all(this.workers.map((w) => w.close()));
    await this.sweeper?.stop();
    await this.idleCloser?.stop();
    await this.dispatcher?.stop();
    await ctx.modelSync.stop();
    await closeQueues(ctx.queues);
    await closeRedis(ctx.redis);
    await ctx.db.destroy();
  }
}
