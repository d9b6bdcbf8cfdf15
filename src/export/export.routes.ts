import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { requireDevice } from '../devices/devices.service.js';
import { AppError } from '../errors/app-error.js';
import { parseQuery } from '../http/query.js';
import { requireRecording } from '../recordings/recordings.service.js';
import { writeRecordingCsv } from './export.csv.js';
import { writeDevice, writeRecording } from './export.ndjson.js';
import { LineSink } from './line-sink.js';

export const ExportQuery = z.object({
  model_version: z.string().min(1).optional().describe('CSV only: the version whose stage and probabilities fill each row (default: the active one)'),
});

const NDJSON = 'application/x-ndjson';
const CSV = 'text/csv';

/** Which form the client accepts; 406 not_acceptable when it accepts neither of `offered`. */
function negotiate(req: Request, offered: readonly string[]): string {
  const chosen = req.accepts([...offered]);
  if (!chosen) throw new AppError(406, 'not_acceptable', `this export is available as ${offered.join(' or ')}`, { available: offered });
  return chosen;
}

/**
 * Streams after every check has passed, so errors before the first byte are ordinary JSON errors.
 * A failure mid-stream cannot change the status any more: the connection is cut, so the client sees
 * a truncated export rather than a complete-looking one.
 */
async function stream(req: Request, res: Response, contentType: string, filename: string, body: (sink: LineSink) => Promise<void>): Promise<void> {
  res.status(200);
  res.setHeader('content-type', `${contentType}; charset=utf-8`);
  res.setHeader('content-disposition', `attachment; filename="${filename}"`);
  res.setHeader('cache-control', 'no-store');
  const sink = new LineSink(res);
  try {
    await body(sink);
    res.end();
  } catch (err) {
    // Nothing sent yet (the first query failed): an ordinary JSON error (503 in an outage) still can be.
    if (!res.headersSent) throw err;
    req.log.error({ err }, 'export failed while streaming; closing the connection');
    res.destroy(err as Error);
  }
}

export function exportRouter(ctx: AppContext): Router {
  const router = Router();
  router.get('/v1/devices/:id/export', async (req, res) => {
    parseQuery(z.object({}).strict(), req.query);
    const device = await requireDevice(ctx, req.params.id, req.auth.tenant);
    negotiate(req, [NDJSON]);
    await stream(req, res, NDJSON, `device-${device.id}.ndjson`, (sink) => writeDevice(ctx, sink, device));
  });
  router.get('/v1/recordings/:id/export', async (req, res) => {
    const query = parseQuery(ExportQuery.strict(), req.query);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    if (negotiate(req, [NDJSON, CSV]) === CSV) {
      const model = ctx.registry.resolve(query.model_version);
      await stream(req, res, CSV, `recording-${recording.id}.csv`, (sink) => writeRecordingCsv(ctx, sink, recording, model));
      return;
    }
    await stream(req, res, NDJSON, `recording-${recording.id}.ndjson`, (sink) => writeRecording(ctx, sink, recording));
  });
  return router;
}
