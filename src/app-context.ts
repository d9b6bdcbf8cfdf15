import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Config } from './config/config.js';
import type { Database } from './db/database.js';
import type { Logger } from './logging/logger.js';
import type { Metrics } from './metrics/metrics.js';
import type { ModelRegistry } from './models/model-registry.js';
import type { ModelSync } from './models/model-sync.js';
import type { Queues } from './queues/queues.js';
import type { RedisClient } from './redis/connections.js';

/** What the composition root hands to routes, services and processors. */
export interface AppContext {
  readonly config: Config;
  /** Re-reads the environment (and .env) for a model reload; throws ConfigError when invalid. */
  readonly readConfig: () => Config;
  readonly db: Kysely<Database>;
  readonly pool: pg.Pool;
  /** The command connection (role `command`); workers and subscribers open their own. */
  readonly redis: RedisClient;
  readonly queues: Queues;
  readonly registry: ModelRegistry;
  readonly modelSync: ModelSync;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Prometheus text for /metrics: this process's registry, or the cluster's aggregate. */
  readonly metricsText: () => Promise<string>;
}
