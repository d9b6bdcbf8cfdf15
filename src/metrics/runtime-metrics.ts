import { Gauge } from 'prom-client';
import type pg from 'pg';
import type { Metrics } from './metrics.js';
import { allQueues, type Queues } from '../queues/queues.js';

const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children'] as const;

/** Gauges read at scrape time: queue depths from Redis and the pg pool's connection use. */
export function registerRuntimeMetrics(metrics: Metrics, queues: Queues, pool: pg.Pool): void {
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
}
