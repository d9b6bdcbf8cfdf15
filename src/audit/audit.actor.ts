import type { Request } from 'express';
import type { AuditActor } from './audit.repository.js';

/** The actor of an authenticated request. */
export function requestActor(req: Request): AuditActor {
  const { auth } = req;
  return { kind: auth.keyId === null ? 'admin_token' : 'api_key', tenant: auth.tenant, keyId: auth.keyId, requestId: req.requestId };
}
