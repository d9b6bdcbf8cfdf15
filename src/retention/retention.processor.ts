import type { AppContext } from '../app-context.js';
import type { Logger } from '../logging/logger.js';
import { yieldToLoop } from '../queues/yield.js';
import { retentionCutoffs } from './retention.policy.js';
import { deleteExpiredBatch, RETAINED_TABLES } from './retention.repository.js';
import { timescaleInstalled } from './retention.timescale.js';

export interface RetentionResult {
  engine: 'postgresql' | 'timescaledb';
  deleted: Record<string, number>;
}

/**
 * One scheduled pass on plain PostgreSQL: expired epochs and predictions deleted a batch at a time
 * (each batch its own short transaction), until none is left. TimescaleDB drops whole chunks with
 * its own policies, so there the pass does nothing. Stored nightly summaries are never touched:
 * trends keep working after the raw data ages out.
 */
export async function processRetention(ctx: AppContext, log: Logger): Promise<RetentionResult> {
  if (await timescaleInstalled(ctx.db)) return { engine: 'timescaledb', deleted: {} };
  const cutoffs = retentionCutoffs(ctx.config, new Date());
  const deleted: Record<string, number> = {};
  for (const table of RETAINED_TABLES) {
    const cutoff = cutoffs[table];
    if (cutoff === null) continue;
    let total = 0;
    for (;;) {
      const n = await deleteExpiredBatch(ctx.db, table, cutoff, ctx.config.RETENTION_BATCH_ROWS);
      total += n;
      if (n < ctx.config.RETENTION_BATCH_ROWS) break;
      await yieldToLoop();
    }
    deleted[table] = total;
  }
  if (Object.values(deleted).some((n) => n > 0)) log.info({ deleted }, 'expired rows deleted');
  return { engine: 'postgresql', deleted };
}
