import { Gauge } from 'prom-client';
import type pg from 'pg';
import type { Metrics } from './metrics.js';
import { allQueues, type Queues } from '../queues/queues.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children'] as const;

/** Gauges read at scrape time: queue depths from Redis, the oldest waiting job from PostgreSQL, and the pg pool's connection use. */
/** Where the oldest-unfinished gauge reads from (jobs/jobs.waiting.ts, handed in by the composition root). */
export interface UnfinishedJobs {
  readonly types: readonly string[];
  oldestAges(): Promise<ReadonlyArray<{ type: string; age_seconds: number }>>;
}

export function registerRuntimeMetrics(metrics: Metrics, queues: Queues, pool: pg.Pool, unfinished: UnfinishedJobs): void {
  // Registered first, so a scrape reads the pool before the oldest-job gauge below asks it for a
  // connection (pg-pool counts that request as waiting until the next tick: "waiting 1" when idle).
  new Gauge({
    name: 'noctis_db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  new Gauge({
    name: 'noctis_job_oldest_unfinished_age_seconds',
    // Every process reads the same rows; summing across cluster workers would multiply them.
    aggregator: 'max',
    help: 'Age of the oldest queued or active job per type (postponed and awaiting-scoring included), read from PostgreSQL at scrape time; 0 when none',
    labelNames: ['type'] as const,
    registers: [metrics.registry],
    async collect() {
      try {
        const ages = new Map((await unfinished.oldestAges()).map((r) => [r.type, r.age_seconds]));
        // Every type is reported, 0 when nothing waits, so an alert's series never vanishes.
        for (const type of unfinished.types) this.set({ type }, Math.max(0, ages.get(type) ?? 0));
      } catch {
        // PostgreSQL down: no value rather than a failed scrape (readiness reports the outage).
        this.reset();
      }
    },
  });
  new Gauge({
    name: 'noctis_queue_jobs',
    // Every process reads the same Redis counts; summing across cluster workers would multiply them.
    aggregator: 'max',
    help: 'Jobs per queue and BullMQ state, read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      await Promise.all(
        allQueues(queues).map(async (queue) => {
          try {
            // One series per shard queue (ingest, ingest-1, ...): a bounded label, at most 2 x 64 + 2 queues.
            const counts = await queue.getJobCounts(...JOB_STATES);
            for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch {
            // Redis down: leave this queue out of the scrape rather than failing it.
          }
        }),
      );
    },
  });
}
