import { z } from 'zod';
import { AUDIT_ACTIONS } from './audit.repository.js';

export const AuditRecord = z.strictObject({
  id: z.string(),
  at: z.iso.datetime(),
  action: z.enum(AUDIT_ACTIONS),
  actor: z.strictObject({
    kind: z.enum(['api_key', 'admin_token', 'cli', 'schedule', 'worker']),
    tenant: z.string().nullable(),
    key_id: z.string().nullable(),
  }),
  target: z.strictObject({ tenant: z.string().nullable(), id: z.string().nullable() }),
  details: z.record(z.string(), z.unknown()).describe('ids, names, versions and filters; never a key'),
});

export const AuditPage = z.strictObject({
  items: z.array(AuditRecord).describe('oldest first'),
  next_cursor: z.string().nullable(),
});
