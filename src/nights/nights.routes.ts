import { Router } from 'express';
import type { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { requireDevice } from '../devices/devices.service.js';
import { parseQuery } from '../http/query.js';
import { requireRecording } from '../recordings/recordings.service.js';
import { epochTime } from '../recordings/time-range.js';
import { loadHypnogram } from '../summary/hypnogram.service.js';
import { checkDateRange } from './date-range.js';
import { NightsQuery, NightsResponse, SegmentsQuery, SegmentsResponse, TrendsQuery, TrendsResponse } from './nights.schemas.js';
import { reply } from '../http/reply.js';
import { listNights } from './nights.service.js';
import { hypnogramSegments } from './segments.js';
import { deviceTrends } from './trends.service.js';

// Each route looks its device or recording up first: another tenant's id answers 404 whatever the query.
export function nightsRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/v1/devices/:id/nights', async (req, res) => {
    const device = await requireDevice(ctx, req.params.id, req.auth.tenant);
    const query = parseQuery(NightsQuery, req.query);
    checkDateRange(query.from, query.to);
    const model = ctx.registry.resolve(query.model_version);
    reply(res, NightsResponse, await listNights(ctx, device, model, query.from, query.to));
  });

  router.get('/v1/devices/:id/trends', async (req, res) => {
    const device = await requireDevice(ctx, req.params.id, req.auth.tenant);
    const query = parseQuery(TrendsQuery, req.query);
    checkDateRange(query.from, query.to);
    const model = ctx.registry.resolve(query.model_version);
    reply(res, TrendsResponse, await deviceTrends(ctx, device, model, query.from, query.to, query.window));
  });

  router.get('/v1/recordings/:id/segments', async (req, res) => {
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    const query = parseQuery(SegmentsQuery, req.query);
    const h = await loadHypnogram(ctx, recording, { model_version: query.model_version });
    const started = new Date(recording.started_at);
    const { segments, shortWakes } = hypnogramSegments({
      labels: [...h.model.labels],
      classes: h.classes,
      startMs: started.getTime() + h.firstIndex * recording.epoch_seconds * 1000,
      epochSeconds: recording.epoch_seconds,
      shortWakeMaxSeconds: query.short_wake_max_seconds,
    });
    const body: z.infer<typeof SegmentsResponse> = {
      recording_id: recording.id,
      model_version: h.model.version,
      labels: [...h.model.labels],
      start: epochTime(started, recording.epoch_seconds, h.firstIndex),
      end: epochTime(started, recording.epoch_seconds, h.lastIndex + 1),
      short_wake_max_seconds: query.short_wake_max_seconds,
      segments,
      short_wakes: shortWakes,
    };
    reply(res, SegmentsResponse, body);
  });

  return router;
}
