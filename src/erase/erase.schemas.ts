import { z } from 'zod';

/** 202 to DELETE of a device or recording: poll the erase job at `status_url`. */
export const EraseAccepted = z.object({
  job_id: z.uuid(),
  status_url: z.string().describe('GET it: the erase job (type erase; result counts rows per table, never ids)'),
});
