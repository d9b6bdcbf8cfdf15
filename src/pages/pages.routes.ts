import { Router, type Response } from 'express';
import type { AppContext } from '../app-context.js';
import { findDevice } from '../devices/devices.repository.js';
import { AppError } from '../errors/app-error.js';
import { evaluateRecording } from '../evaluation/evaluation.service.js';
import { parseQuery } from '../http/query.js';
import { requireRecording } from '../recordings/recordings.service.js';
import { HypnogramQuery } from '../summary/hypnogram.service.js';
import { sleepStatistics } from '../summary/sleep-statistics.js';
import { toSummaryResource } from '../summary/summary.resource.js';
import { renderHypnogramSvg } from './hypnogram.svg.js';
import { loadNightView } from './night-view.js';
import { renderReportPage } from './report.page.js';

/** Nothing on these pages may load or run anything: styles are inline, the SVG is inline. */
function sendMarkup(res: Response, contentType: string, body: string): void {
  res
    .status(200)
    .set('Content-Type', contentType)
    .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
    .set('X-Content-Type-Options', 'nosniff')
    .send(body);
}

export function pagesRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/v1/recordings/:id/hypnogram.svg', async (req, res) => {
    const query = parseQuery(HypnogramQuery, req.query);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    const view = await loadNightView(ctx, recording, query);
    sendMarkup(res, 'image/svg+xml; charset=utf-8', renderHypnogramSvg(view.picture));
  });

  router.get('/recordings/:id', async (req, res) => {
    const query = parseQuery(HypnogramQuery, req.query);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    const view = await loadNightView(ctx, recording, query);
    const { hypnogram } = view;
    const stats = sleepStatistics({ labels: hypnogram.model.labels, classes: hypnogram.classes, epochSeconds: recording.epoch_seconds });
    const evaluation = view.labelled === 0 ? null : await evaluateRecording(ctx, recording, hypnogram.model.version).catch(noAgreement);
    const device = await findDevice(ctx.db, recording.device_id, recording.tenant);
    const html = renderReportPage({
      recording: {
        id: recording.id,
        started_at: new Date(recording.started_at).toISOString(),
        device: device ? [device.name, device.external_id].filter(Boolean).join(' · ') : null,
      },
      summary: toSummaryResource(hypnogram, stats),
      evaluation,
      svg: renderHypnogramSvg(view.picture),
    });
    sendMarkup(res, 'text/html; charset=utf-8', html);
  });

  return router;
}

/** Labels outside the predicted epochs leave nothing to compare: the page shows no agreement line. */
function noAgreement(err: unknown): null {
  if (err instanceof AppError && (err.code === 'no_predictions' || err.code === 'no_labels')) return null;
  throw err;
}
