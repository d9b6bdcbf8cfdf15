import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { requestActor } from '../audit/audit.actor.js';
import { recordAudit } from '../audit/audit.repository.js';
import { decodeKey } from '../config/config.js';
import { AppError, notFound } from '../errors/app-error.js';
import { jsonBody } from '../http/json-body.js';
import { parseUuid } from '../http/params.js';
import { parseQuery } from '../http/query.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { checkWebhookUrl } from './ssrf-guard.js';
import type { WebhookEvent } from './webhook-events.js';
import { encryptSecret, newSigningSecret } from './webhook-crypto.js';
import { reply } from '../http/reply.js';
import { CreateWebhookBody, DeliveryList, ListDeliveriesQuery, Webhook, WebhookCreated, WebhookList } from './webhooks.schemas.js';
import { deleteEndpoint, findEndpoint, insertEndpoint, listAttempts, listEndpoints } from './webhooks.repository.js';

/** A tenant has at most this many endpoints: each event is delivered to every subscribed one. */
export const MAX_ENDPOINTS_PER_TENANT = 20;

type EndpointRow = Awaited<ReturnType<typeof listEndpoints>>[number];
const toResource = (row: EndpointRow) => ({
  id: row.id,
  url: row.url,
  // Written only through CreateWebhookBody, whose enum is WEBHOOK_EVENTS.
  events: row.events as WebhookEvent[],
  created_at: row.created_at.toISOString(),
  failing_since: row.failing_since?.toISOString() ?? null,
  disabled_at: row.disabled_at?.toISOString() ?? null,
  disabled_reason: row.disabled_reason,
});

/** Endpoints belong to the caller's tenant (the `admin` scope, see auth/scopes.ts). */
export function webhooksRouter(ctx: AppContext): Router {
  const router = Router();
  const notFoundError = (id: string) => notFound('webhook_not_found', `webhook ${id} does not exist`, { webhook_id: id });

  router.post('/v1/webhooks', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = validate(CreateWebhookBody, requireObjectBody(req.body), 'webhook');
    const key = ctx.config.WEBHOOK_SECRET_KEY === undefined ? null : decodeKey(ctx.config.WEBHOOK_SECRET_KEY);
    if (!key) throw new AppError(409, 'webhooks_not_configured', 'webhooks need WEBHOOK_SECRET_KEY set on the server to store signing secrets');
    const url = await checkWebhookUrl(body.url, ctx.config.WEBHOOK_ALLOW_PRIVATE);
    const tenant = req.auth.tenant;
    if ((await listEndpoints(ctx.db, tenant, MAX_ENDPOINTS_PER_TENANT)).length >= MAX_ENDPOINTS_PER_TENANT) {
      throw new AppError(409, 'conflict', `a tenant has at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints`, { limit: MAX_ENDPOINTS_PER_TENANT });
    }
    const secret = newSigningSecret();
    const events = [...new Set(body.events)];
    const row = await ctx.db.transaction().execute(async (trx) => {
      const created = await insertEndpoint(trx, { tenant, url: url.toString(), events, secret_ciphertext: encryptSecret(key, secret) });
      await recordAudit(trx, { action: 'webhook.created', actor: requestActor(req), targetTenant: tenant, targetId: created.id, details: { url: created.url, events } });
      return created;
    });
    reply(res, WebhookCreated, { ...toResource(row), secret }, 201);
  });

  router.get('/v1/webhooks', async (req, res) => {
    parseQuery(ListDeliveriesQuery.pick({}), req.query);
    reply(res, WebhookList, { items: (await listEndpoints(ctx.db, req.auth.tenant, MAX_ENDPOINTS_PER_TENANT)).map(toResource) });
  });

  router.get('/v1/webhooks/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'webhook_not_found', 'webhook');
    const row = await findEndpoint(ctx.db, id, req.auth.tenant);
    if (!row) throw notFoundError(id);
    reply(res, Webhook, toResource(row));
  });

  router.delete('/v1/webhooks/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'webhook_not_found', 'webhook');
    const deleted = await ctx.db.transaction().execute(async (trx) => {
      if (!(await deleteEndpoint(trx, id, req.auth.tenant))) return false;
      await recordAudit(trx, { action: 'webhook.deleted', actor: requestActor(req), targetTenant: req.auth.tenant, targetId: id });
      return true;
    });
    if (!deleted) throw notFoundError(id);
    res.status(204).end();
  });

  router.get('/v1/webhooks/:id/deliveries', async (req, res) => {
    const query = parseQuery(ListDeliveriesQuery, req.query);
    const id = parseUuid(req.params.id, 'webhook_not_found', 'webhook');
    if (!(await findEndpoint(ctx.db, id, req.auth.tenant))) throw notFoundError(id);
    const rows = await listAttempts(ctx.db, id, query.limit);
    reply(res, DeliveryList, {
      items: rows.map((r) => ({ event_id: String(r.event_id), event: r.event_type, attempt: r.attempt, status_code: r.status_code, error: r.error, duration_ms: r.duration_ms, final: r.final, at: r.at.toISOString() })),
    });
  });
  return router;
}
