import { createLogger } from '../logging/logger.js';
import { migrateNow } from './migrate-now.js';
import { configOrExit } from './run.js';

const config = configOrExit();
const logger = createLogger(config.LOG_LEVEL, { role: 'release' });
try {
  await migrateNow(config, logger);
  logger.info('migrations are current');
} catch (err) {
  logger.error({ err }, 'migration failed');
  process.exitCode = 1;
}
