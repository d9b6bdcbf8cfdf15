import { UnrecoverableError, type Job } from 'bullmq';
import type { AppContext } from '../app-context.js';
import { WORKER_ACTOR, recordAudit } from '../audit/audit.repository.js';
import { decodeKey } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { JobPayloads } from '../queues/queues.js';
import { deliveryBody } from './webhook-body.js';
import { decryptSecret, sign } from './webhook-crypto.js';
import { postJson } from './webhook-http.js';
import { findEndpoint, findEvent, markFailed, markSucceeded, recordAttempt } from './webhooks.repository.js';
import { BlockedAddressError } from './ssrf-guard.js';

export interface DeliveryResult {
  readonly delivered: boolean;
  readonly status_code?: number;
  readonly skipped?: string;
}

/**
 * One attempt to deliver one event to one endpoint. Every attempt is recorded (status code or
 * error, duration); a non-2xx answer or a network error throws, so BullMQ retries with backoff. An
 * endpoint gone or disabled meanwhile makes the job a no-op; a target that resolves to a private
 * address is refused for good (no retry).
 */
export async function processWebhookDelivery(ctx: AppContext, log: Logger, job: Job<JobPayloads['webhook']>): Promise<DeliveryResult> {
  const { eventId, endpointId } = job.data;
  const endpoint = await findEndpoint(ctx.db, endpointId);
  const skip = (reason: string): DeliveryResult => {
    ctx.metrics.webhookDeliveries.inc({ outcome: 'skipped' });
    return { delivered: false, skipped: reason };
  };
  if (!endpoint || endpoint.disabled_at) return skip('endpoint deleted or disabled');
  const event = await findEvent(ctx.db, eventId);
  if (!event) return skip('event no longer stored');
  const key = ctx.config.WEBHOOK_SECRET_KEY === undefined ? null : decodeKey(ctx.config.WEBHOOK_SECRET_KEY);
  if (!key) throw new UnrecoverableError('WEBHOOK_SECRET_KEY is not set: endpoint secrets cannot be read');
  const secret = decryptSecret(key, endpoint.secret_ciphertext);
  const body = deliveryBody(ctx.config.PUBLIC_BASE_URL, { id: String(event.id), type: event.type, created_at: event.created_at, data: event.data });
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'Noctis-Webhooks/1',
    'noctis-event': event.type,
    'noctis-delivery': `${eventId}-${endpointId}`,
    'noctis-timestamp': String(timestamp),
    'noctis-signature': sign(secret, timestamp, body),
  };
  const attempt = job.attemptsMade + 1;
  const started = Date.now();
  let status: number | null = null;
  let error: string | null = null;
  let permanent = false;
  try {
    status = await postJson(endpoint.url, body, headers, { timeoutMs: ctx.config.WEBHOOK_TIMEOUT_MS, allowPrivate: ctx.config.WEBHOOK_ALLOW_PRIVATE });
    if (status < 200 || status > 299) error = `HTTP ${status}`;
  } catch (err) {
    error = (err as Error).message.slice(0, 500);
    permanent = err instanceof BlockedAddressError;
  }
  const final = error !== null && (permanent || attempt >= (job.opts.attempts ?? 1));
  const row = { endpoint_id: endpointId, event_id: eventId, event_type: event.type, attempt, status_code: status, error, duration_ms: Date.now() - started, final };
  if (error === null) {
    await ctx.db.transaction().execute(async (trx) => {
      await recordAttempt(trx, row);
      await markSucceeded(trx, endpointId);
    });
    ctx.metrics.webhookDeliveries.inc({ outcome: 'delivered' });
    return { delivered: true, status_code: status! };
  }
  const disabled = await ctx.db.transaction().execute(async (trx) => {
    const now = await markFailed(trx, endpointId, ctx.config.WEBHOOK_DISABLE_AFTER_SECONDS);
    // Disabling ends the delivery too: this attempt is its last.
    await recordAttempt(trx, { ...row, final: row.final || now });
    if (now) await recordAudit(trx, { action: 'webhook.disabled', actor: WORKER_ACTOR, targetTenant: endpoint.tenant, targetId: endpointId, details: { url: endpoint.url, last_error: error } });
    return now;
  });
  ctx.metrics.webhookDeliveries.inc({ outcome: permanent ? 'refused' : 'failed' });
  if (disabled) log.warn({ endpointId, tenant: endpoint.tenant, url: endpoint.url }, 'webhook endpoint disabled: every delivery failed for WEBHOOK_DISABLE_AFTER_SECONDS');
  // Disabled: no more attempts; the endpoint's other queued deliveries become no-ops.
  if (permanent || disabled) throw new UnrecoverableError(error);
  throw new Error(`delivery to endpoint ${endpointId} failed: ${error}`);
}
