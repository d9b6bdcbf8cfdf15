import { z } from 'zod';
import { WEBHOOK_EVENTS } from './webhook-events.js';

export const CreateWebhookBody = z.strictObject({
  url: z.string().min(1).max(2000).describe('http or https; must not resolve to a loopback, private or link-local address'),
  events: z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length),
});

export const Webhook = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  created_at: z.string(),
  failing_since: z.string().nullable().describe('since when every delivery failed; null after a success'),
  disabled_at: z.string().nullable(),
  disabled_reason: z.string().nullable(),
});

export const WebhookCreated = Webhook.extend({ secret: z.string().describe('the signing secret, shown only in this response') });
export const WebhookList = z.object({ items: z.array(Webhook) });

export const ListDeliveriesQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
export const DeliveryAttempt = z.object({
  event_id: z.string(),
  event: z.string(),
  attempt: z.number().int(),
  status_code: z.number().int().nullable(),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
  final: z.boolean().describe('the last attempt of a delivery that never succeeded'),
  at: z.string(),
});
export const DeliveryList = z.object({ items: z.array(DeliveryAttempt) });
