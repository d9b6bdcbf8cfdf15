import { createLogger } from '../logging/logger.js';
import { migrateNow } from './migrate-now.js';
import { configOrExit, runApp } from './run.js';

// The one-command local run: migrate, then serve the API with an ingest worker in this process.
const config = configOrExit();
await migrateNow(config, createLogger(config.LOG_LEVEL, { role: 'release' }));
await runApp(config, { web: true, worker: true });
