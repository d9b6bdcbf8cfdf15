import type { AppContext } from '../app-context.js';
import { syncTimescalePolicies, timescaleInstalled } from './retention.timescale.js';

export const RETENTION_SCHEDULER_ID = 'retention';

/**
 * At worker start: on TimescaleDB, make the policies match the configuration (and no scheduled
 * pass); on plain PostgreSQL, a BullMQ job scheduler runs a deleting pass every
 * RETENTION_INTERVAL_SECONDS while any RETAIN_*_DAYS is set, and is removed when none is.
 */
export async function syncRetention(ctx: AppContext): Promise<void> {
  const { config } = ctx;
  const queue = ctx.queues.retention;
  if (await timescaleInstalled(ctx.db)) {
    await queue.removeJobScheduler(RETENTION_SCHEDULER_ID);
    const done = await syncTimescalePolicies(ctx.db, config);
    ctx.logger.info({ policies: done }, 'timescaledb retention and compression policies in step with the configuration');
    return;
  }
  if (config.RETAIN_EPOCHS_DAYS === undefined && config.RETAIN_PREDICTIONS_DAYS === undefined) {
    await queue.removeJobScheduler(RETENTION_SCHEDULER_ID);
    return;
  }
  await queue.upsertJobScheduler(RETENTION_SCHEDULER_ID, { every: config.RETENTION_INTERVAL_SECONDS * 1000 }, { name: 'retention', data: { scheduled: true } });
}
