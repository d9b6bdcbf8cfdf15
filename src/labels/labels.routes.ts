import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import { tooLarge } from '../errors/app-error.js';
import { requireIndicesWithin } from '../epochs/recording-limit.js';
import { PageCursor, pageStart, recordingPageLimit, RecordingPageLimit, toPage } from '../http/paging.js';
import { IsoTimestamp, parseQuery } from '../http/query.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { epochStats } from '../recordings/recordings.repository.js';
import { epochWindow } from '../recordings/epoch-window.js';
import { requireRecording } from '../recordings/recordings.service.js';
import { epochTime, toIndexRange } from '../recordings/time-range.js';
import { checkLabels, PutLabelsBody } from './labels.input.js';
import { countLabels, listLabels, upsertLabels } from './labels.repository.js';
import { requireRecordingNotErasing } from '../erase/erase.guard.js';
import { jsonBody } from '../http/json-body.js';
import { reply } from '../http/reply.js';

export const ListLabelsQuery = z.strictObject({
  from: IsoTimestamp.optional(),
  to: IsoTimestamp.optional(),
  limit: RecordingPageLimit,
  cursor: PageCursor,
});

export const LabelsWritten = z.strictObject({
  recording_id: z.uuid(),
  written: z.number().int().describe('labels stored by this request (replacing any for the same epochs)'),
  labelled_epochs: z.number().int().describe('labelled epochs of the recording now'),
});

export const LabelPage = z.strictObject({
  recording_id: z.uuid(),
  items: z.array(z.strictObject({ epoch_index: z.number().int(), ts: z.iso.datetime(), stage: z.string() })),
  next_cursor: z.string().nullable(),
});

export function labelsRouter(ctx: AppContext): Router {
  const router = Router();

  /** Stores scored stages; a label already stored for one of these epochs is replaced. */
  router.put('/v1/recordings/:id/labels', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const raw = requireObjectBody(req.body);
    const limit = ctx.config.MAX_EPOCHS_PER_REQUEST;
    if (Array.isArray(raw['labels']) && raw['labels'].length > limit) {
      throw tooLarge('too_many_epochs', `${raw['labels'].length} labels in one request; the limit is ${limit}`, { count: raw['labels'].length, limit });
    }
    const body = validate(PutLabelsBody, raw, 'labels');
    requireIndicesWithin(body.labels.map((l) => l.epoch_index), ctx.config.MAX_RECORDING_EPOCHS);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    await requireRecordingNotErasing(ctx, recording);
    const whole = epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS);
    const rows = checkLabels(body.labels, (await epochStats(ctx.db, whole)).last_epoch_index);
    const written = await upsertLabels(ctx.db, recording, rows);
    reply(res, LabelsWritten, { recording_id: recording.id, written, labelled_epochs: await countLabels(ctx.db, whole) });
  });

  router.get('/v1/recordings/:id/labels', async (req, res) => {
    const query = parseQuery(ListLabelsQuery, req.query);
    const limit = recordingPageLimit(query.limit, ctx.config.MAX_RECORDING_EPOCHS);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    const started = new Date(recording.started_at);
    const range = toIndexRange(started, recording.epoch_seconds, query.from, query.to);
    const window = epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS, { fromIndex: pageStart(range.fromIndex, query.cursor), toIndex: range.toIndex });
    const page = toPage(await listLabels(ctx.db, window, limit + 1), limit);
    reply(res, LabelPage, {
      recording_id: recording.id,
      items: page.rows.map((r) => ({ epoch_index: r.epoch_index, ts: epochTime(started, recording.epoch_seconds, r.epoch_index), stage: r.stage })),
      next_cursor: page.next_cursor,
    });
  });

  return router;
}
