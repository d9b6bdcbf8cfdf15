import type { TracingHandle } from '../tracing/tracing.bootstrap.js';
import { createLogger } from '../logging/logger.js';
import { migrateNow } from './migrate-now.js';
import { configOrExit, runApp } from './run.js';

// The one-command local run: migrate, then serve the API with an ingest worker in this process.
export async function main(tracing: TracingHandle): Promise<void> {
  const config = configOrExit();
  await migrateNow(config, createLogger(config.LOG_LEVEL, { role: 'release' }));
  await runApp(config, { web: true, worker: true }, undefined, { tracing });
}
