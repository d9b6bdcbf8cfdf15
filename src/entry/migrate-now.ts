import type { Config } from '../config/config.js';
import { createDb } from '../db/connection.js';
import { ensureDatabase, migrateToLatest } from '../db/migrator.js';
import type { Logger } from '../logging/logger.js';

/** Creates the database when missing and applies pending migrations. */
export async function migrateNow(config: Config, logger: Logger): Promise<void> {
  if (await ensureDatabase(config.DATABASE_URL)) logger.info('created the database');
  const { db } = createDb(config.DATABASE_URL, 1);
  try {
    const result = await migrateToLatest(db);
    for (const m of result.results ?? []) logger.info({ migration: m.migrationName, status: m.status }, 'migration');
  } finally {
    await db.destroy();
  }
}
