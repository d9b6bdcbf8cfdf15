import type { AppContext } from '../app-context.js';
import { PeriodicTask } from '../jobs/periodic-task.js';
import { closeRecording, findIdleRecordings, modelsOfSchema } from './recording-close.js';

/** Recordings looked at per query, and queries per pass: a pass closes at most 1000. */
const BATCH = 100;
const MAX_BATCHES = 10;

/**
 * Closes recordings that received no upload for RECORDING_IDLE_MINUTES (and have no unfinished
 * ingest), every RECORDING_IDLE_CHECK_SECONDS in every worker process. Each close is its own
 * transaction and re-checks idleness under the row lock, so workers running it side by side close
 * each recording once.
 */
export class IdleCloser {
  private readonly task: PeriodicTask<number>;

  constructor(private readonly ctx: AppContext) {
    this.task = new PeriodicTask('idle close', ctx.config.RECORDING_IDLE_CHECK_SECONDS * 1000, () => this.pass(), ctx.logger);
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass; concurrent calls share the pass in flight. Resolves to the number closed. */
  closeOnce(): Promise<number> {
    return this.task.runOnce();
  }

  private async pass(): Promise<number> {
    const { db, config, registry, logger } = this.ctx;
    const seconds = config.RECORDING_IDLE_MINUTES * 60;
    const models = modelsOfSchema(registry);
    let closed = 0;
    let after: string | null = null;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const ids: string[] = await findIdleRecordings(db, seconds, BATCH, after);
      after = ids[ids.length - 1] ?? null;
      for (const id of ids) {
        try {
          if ((await closeRecording(db, models, id, { idleSeconds: seconds }))?.closedNow) closed++;
        } catch (err) {
          // One bad night (say, stored stages a reloaded model no longer has) must not stop the others.
          logger.warn({ err, recordingId: id }, 'could not close an idle recording');
        }
      }
      if (ids.length < BATCH) break;
    }
    if (closed > 0) logger.info({ closed }, 'closed idle recordings');
    return closed;
  }
}
