import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { AppError, notFound } from '../errors/app-error.js';
import { parseUuid } from '../http/params.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { requestActor } from '../audit/audit.actor.js';
import { recordAudit } from '../audit/audit.repository.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyRecord } from './api-keys.repository.js';
import { keyCreated, keyRevoked } from './api-keys.audit.js';
import { IsoTimestamp, parseQuery } from '../http/query.js';
import { SCOPES, isOperator, operatorScope, type AuthContext } from './scopes.js';
import { jsonBody } from '../http/json-body.js';
import { reply } from '../http/reply.js';
import { ApiKey, ApiKeyList, CreatedApiKey } from './api-keys.schemas.js';

export const TenantName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "_" and "-", up to 63 characters');

export const CreateApiKeyBody = z.strictObject({
  tenant: TenantName,
  scopes: z.array(z.enum(SCOPES)).min(1),
  name: z.string().max(200).optional(),
  expires_at: IsoTimestamp.refine((t) => Date.parse(t) > Date.now(), 'must be in the future').optional(),
});

export function toApiKeyResource(record: ApiKeyRecord): z.infer<typeof ApiKey> {
  return {
    id: record.id,
    tenant: record.tenant,
    name: record.name,
    scopes: record.scopes,
    key_prefix: record.key_prefix,
    created_at: record.created_at.toISOString(),
    revoked_at: record.revoked_at?.toISOString() ?? null,
    expires_at: record.expires_at?.toISOString() ?? null,
    last_used_at: record.last_used_at?.toISOString() ?? null,
  };
}

export const ListApiKeysQuery = z.strictObject({ tenant: TenantName.optional() });

/** Operators manage every tenant's keys; other admins only their own tenant's. */
function requireManage(auth: AuthContext, tenant: string): void {
  if (!isOperator(auth) && auth.tenant !== tenant) {
    throw new AppError(403, 'forbidden', `keys of tenant ${auth.tenant} cannot manage keys of tenant ${tenant}`, { required_scope: 'operator' });
  }
}

export function apiKeysRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/v1/api-keys', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = validate(CreateApiKeyBody, requireObjectBody(req.body), 'api key');
    requireManage(req.auth, body.tenant);
    // Otherwise any tenant admin could make itself an operator.
    if (body.scopes.includes('operator') && !isOperator(req.auth)) {
      throw new AppError(403, 'forbidden', 'only an operator can grant the operator scope', { required_scope: 'operator' });
    }
    const { record, key } = await ctx.db.transaction().execute(async (trx) => {
      const created = await createApiKey(trx, {
        tenant: body.tenant,
        scopes: [...new Set(body.scopes)],
        name: body.name,
        expiresAt: body.expires_at === undefined ? null : new Date(body.expires_at),
      });
      await recordAudit(trx, keyCreated(created.record, requestActor(req)));
      return created;
    });
    reply(res, CreatedApiKey, { ...toApiKeyResource(record), key }, 201);
  });

  router.get('/v1/api-keys', async (req, res) => {
    const tenant = parseQuery(ListApiKeysQuery, req.query).tenant ?? req.auth.tenant;
    requireManage(req.auth, tenant);
    reply(res, ApiKeyList, { items: (await listApiKeys(ctx.db, tenant)).map(toApiKeyResource) });
  });

  router.delete('/v1/api-keys/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'api_key_not_found', 'api key');
    await ctx.db.transaction().execute(async (trx) => {
      const revoked = await revokeApiKey(trx, id, operatorScope(req.auth) ?? null);
      if (!revoked) throw notFound('api_key_not_found', `api key ${id} does not exist`, { id });
      await recordAudit(trx, keyRevoked(revoked, requestActor(req)));
    });
    res.status(204).end();
  });

  return router;
}
