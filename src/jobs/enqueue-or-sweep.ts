import type { Logger } from '../logging/logger.js';

/**
 * Queues a job whose row (and data) PostgreSQL already holds. If Redis refuses, the request still
 * succeeds: the sweeper re-enqueues jobs left untouched, so the failure is logged, not raised.
 */
export async function enqueueOrLeaveToSweeper(log: Logger, jobId: string, enqueue: () => Promise<unknown>): Promise<void> {
  try {
    await enqueue();
  } catch (err) {
    log.warn({ err, jobId }, 'enqueue failed; the sweeper will retry');
  }
}
