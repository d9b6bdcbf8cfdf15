import type { Config } from '../config/config.js';

export interface PoolDemand {
  /** Connections this process may hold at once when every slot is busy. */
  readonly needed: number;
  /** Where they go, for the warning. */
  readonly parts: Readonly<Record<string, number>>;
}

/**
 * What one process can hold at once: a connection per concurrent job (ingest, predict and night
 * scoring run WORKER_CONCURRENCY each, ingest and night scoring once per queue shard, re-score
 * RESCORE_CONCURRENCY), one each for the sweeper and the idle closer, and at
 * least one for the API's requests and probes. A smaller DB_POOL_SIZE is not wrong, but under full
 * load jobs and requests then wait for connections (and get 503 overloaded past the wait limit).
 */
export function poolDemand(config: Config, roles: { readonly web: boolean; readonly worker: boolean }): PoolDemand {
  const parts: Record<string, number> = {};
  if (roles.worker) {
    parts['ingest, predict and night jobs'] = (2 * config.QUEUE_SHARDS + 1) * config.WORKER_CONCURRENCY;
    parts['re-score jobs'] = config.RESCORE_CONCURRENCY;
    parts['erase and retention jobs'] = 2;
    // Deliveries hold a connection only between HTTP calls (reading the event, recording the
    // attempt), never while waiting on a receiver; the dispatcher holds one while it moves events.
    parts['webhook dispatcher'] = 1;
    parts['sweeper'] = 1;
    parts['idle closer'] = 1;
  }
  if (roles.web) parts['API'] = 1;
  // Every process compares its model with the shared choice now and then (models/model-sync.ts).
  parts['model choice check'] = 1;
  return { needed: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}
