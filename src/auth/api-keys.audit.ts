import type { AuditActor, AuditEvent } from '../audit/audit.repository.js';
import type { ApiKeyRecord } from './api-keys.repository.js';

// What the audit log keeps of a key: its id, tenant, prefix, scopes and expiry, never the key.
const described = (record: ApiKeyRecord) => ({
  key_prefix: record.key_prefix,
  name: record.name,
  scopes: record.scopes,
  expires_at: record.expires_at?.toISOString() ?? null,
});

export const keyCreated = (record: ApiKeyRecord, actor: AuditActor): AuditEvent => ({
  action: 'api_key.created',
  actor,
  targetTenant: record.tenant,
  targetId: record.id,
  details: described(record),
});

export const keyRevoked = (record: ApiKeyRecord, actor: AuditActor): AuditEvent => ({
  action: 'api_key.revoked',
  actor,
  targetTenant: record.tenant,
  targetId: record.id,
  details: described(record),
});
