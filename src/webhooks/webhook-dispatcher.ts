import type { AppContext } from '../app-context.js';
import { PeriodicTask } from '../jobs/periodic-task.js';
import { claimEvents, deleteWebhookHistoryBefore, markDispatched, subscribers } from './webhooks.repository.js';

const BATCH = 100;
const HISTORY_SWEEP_MS = 60_000;

/** BullMQ delivery options: exponential backoff from WEBHOOK_BACKOFF_MS spanning at least WEBHOOK_RETRY_SECONDS. */
export function deliveryAttempts(retrySeconds: number, backoffMs: number): number {
  // Retries k = 1..n-1 wait backoff × 2^(k-1): their sum, backoff × (2^(n-1) − 1), must reach the window.
  return Math.ceil(Math.log2((retrySeconds * 1000) / backoffMs + 1)) + 1;
}

/**
 * Moves events from the outbox to the `webhook` queue: one delivery job per subscribed endpoint,
 * with the queue id `<event>-<endpoint>`, so an event dispatched twice (a crash between enqueue and
 * commit) is still delivered once per endpoint. Rows are claimed with SKIP LOCKED, so every worker
 * runs a dispatcher without two taking the same events.
 */
export class WebhookDispatcher {
  private readonly task: PeriodicTask<void>;
  private lastHistorySweep = 0;

  constructor(private readonly ctx: AppContext) {
    this.task = new PeriodicTask('webhook dispatch', ctx.config.WEBHOOK_DISPATCH_INTERVAL_MS, () => this.dispatch(), ctx.logger);
  }

  start(): void {
    this.task.start();
  }

  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass; concurrent calls share the pass in flight. */
  dispatchOnce(): Promise<void> {
    return this.task.runOnce();
  }

  private async dispatch(): Promise<void> {
    const { db, queues, config } = this.ctx;
    const attempts = deliveryAttempts(config.WEBHOOK_RETRY_SECONDS, config.WEBHOOK_BACKOFF_MS);
    // Most ticks find nothing: one indexed probe instead of a transaction per tick and worker.
    const pending = await db.selectFrom('webhook_events').select('id').where('dispatched_at', 'is', null).limit(1).executeTakeFirst();
    for (let more = pending !== undefined; more; ) {
      const claimed = await db.transaction().execute(async (trx) => {
        const events = await claimEvents(trx, BATCH);
        const jobs = [];
        for (const event of events) {
          for (const endpointId of await subscribers(trx, event.tenant, event.type)) {
            jobs.push({
              name: event.type,
              data: { eventId: String(event.id), endpointId },
              opts: { jobId: `${event.id}-${endpointId}`, attempts, backoff: { type: 'exponential', delay: config.WEBHOOK_BACKOFF_MS } },
            });
          }
        }
        // Inside the transaction: if Redis refuses, the events stay undispatched for the next tick.
        if (jobs.length > 0) await queues.webhook.addBulk(jobs);
        await markDispatched(trx, events.map((e) => String(e.id)));
        return events.length;
      });
      more = claimed === BATCH;
    }
    if (Date.now() - this.lastHistorySweep > HISTORY_SWEEP_MS) {
      this.lastHistorySweep = Date.now();
      // Kept a day past the retry window, so GET …/deliveries shows the whole story of a delivery.
      await deleteWebhookHistoryBefore(db, config.WEBHOOK_RETRY_SECONDS + 86400);
    }
  }
}
