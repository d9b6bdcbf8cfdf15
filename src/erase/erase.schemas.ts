import { z } from 'zod';

/** 202 to DELETE of a device or recording: poll the erase job at `status_url`. */
export const EraseAccepted = z.object({
  job_id: z.uuid(),
  status_url: z.string().describe('GET it: the erase job (type erase; result counts rows per table, never ids)'),
});

/** An erase job's result: how much went, never what (no ids). */
export const EraseJobResult = z.strictObject({
  subject: z.enum(['device', 'recording']),
  recordings: z.number().int(),
  rows: z.record(z.string(), z.number().int()).describe('rows deleted or scrubbed per table'),
});
