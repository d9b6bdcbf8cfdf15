import { z } from 'zod';
import { CHECK_NAMES } from './readiness.js';

export const Liveness = z.strictObject({ status: z.literal('ok') });

const CheckResult = z.strictObject({ ok: z.boolean(), detail: z.string().optional() });

/** 200 when ready, 503 when not: the same shape either way. */
export const ReadinessBody = z.strictObject({
  status: z.enum(['ready', 'not_ready']),
  failed: z.array(z.enum(CHECK_NAMES)).describe('names of the failing checks'),
  checks: z
    .strictObject(Object.fromEntries(CHECK_NAMES.map((name) => [name, CheckResult])) as Record<(typeof CHECK_NAMES)[number], typeof CheckResult>)
    .optional()
    .describe('each check with its detail: only for the NOCTIS_ADMIN_TOKEN (details name hosts and paths)'),
});
