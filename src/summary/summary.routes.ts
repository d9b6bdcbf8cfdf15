import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import { parseQuery } from '../http/query.js';
import { requireRecording } from '../recordings/recordings.service.js';
import { HypnogramQuery, loadHypnogram } from './hypnogram.service.js';
import { sleepStatistics } from './sleep-statistics.js';
import { toSummaryResource } from './summary.resource.js';
import { Summary } from './summary.schemas.js';
import { reply } from '../http/reply.js';

export function summaryRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/v1/recordings/:id/summary', async (req, res) => {
    const query = parseQuery(HypnogramQuery, req.query);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    const hypnogram = await loadHypnogram(ctx, recording, query);
    const stats = sleepStatistics({ labels: hypnogram.model.labels, classes: hypnogram.classes, epochSeconds: recording.epoch_seconds });
    reply(res, Summary, toSummaryResource(hypnogram, stats));
  });

  return router;
}
