import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { AppError, notFound } from '../errors/app-error.js';
import { parseUuid } from '../http/params.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from './api-keys.repository.js';
import { DEFAULT_TENANT, SCOPES } from './scopes.js';
import { jsonBody } from '../http/json-body.js';

export const TenantName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "_" and "-", up to 63 characters');

export const CreateApiKeyBody = z.strictObject({
  tenant: TenantName,
  scopes: z.array(z.enum(SCOPES)).min(1),
  name: z.string().max(200).optional(),
});

export function toApiKeyResource(record: ApiKeyRecord) {
  return {
    id: record.id,
    tenant: record.tenant,
    name: record.name,
    scopes: record.scopes,
    key_prefix: record.key_prefix,
    created_at: record.created_at.toISOString(),
    revoked_at: record.revoked_at?.toISOString() ?? null,
  };
}

/** Operators (the default tenant) manage every tenant's keys; other admins only their own. */
function mayManage(callerTenant: string, tenant: string): boolean {
  return callerTenant === DEFAULT_TENANT || callerTenant === tenant;
}

export function apiKeysRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/v1/api-keys', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = validate(CreateApiKeyBody, requireObjectBody(req.body), 'api key');
    if (!mayManage(req.auth.tenant, body.tenant)) {
      throw new AppError(403, 'forbidden', `keys of tenant ${req.auth.tenant} cannot create keys for tenant ${body.tenant}`);
    }
    const { record, key } = await createApiKey(ctx.db, { tenant: body.tenant, scopes: [...new Set(body.scopes)], name: body.name });
    res.status(201).json({ ...toApiKeyResource(record), key });
  });

  router.get('/v1/api-keys', async (req, res) => {
    res.json({ items: (await listApiKeys(ctx.db, req.auth.tenant)).map(toApiKeyResource) });
  });

  router.delete('/v1/api-keys/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'api_key_not_found', 'api key');
    const tenant = req.auth.tenant === DEFAULT_TENANT ? null : req.auth.tenant;
    if (!(await revokeApiKey(ctx.db, id, tenant))) throw notFound('api_key_not_found', `api key ${id} does not exist`, { id });
    res.status(204).end();
  });

  return router;
}
