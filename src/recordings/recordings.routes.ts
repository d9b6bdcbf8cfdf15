import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { RecordingRow } from '../db/database.js';
import { notFound, unprocessable } from '../errors/app-error.js';
import { parseUuid } from '../http/params.js';
import { IsoTimestamp, parseQuery } from '../http/query.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { findDevice } from '../devices/devices.repository.js';
import { listEpochs } from '../epochs/epochs.repository.js';
import { PageCursor, pageStart, toPage } from '../http/paging.js';
import { recordingNightInfo } from '../nights/recording-night-info.js';
import { epochStats, insertRecording } from './recordings.repository.js';
import { epochWindow } from './epoch-window.js';
import { requireRecording } from './recordings.service.js';
import { requireStartedAtInRange } from './started-at.js';
import { epochTime, toIndexRange } from './time-range.js';
import { requireNotErasing } from '../erase/erase.guard.js';
import { jsonBody } from '../http/json-body.js';
import { reply } from '../http/reply.js';
import { EpochPage, Recording, RecordingDetail } from './recordings.schemas.js';

export const CreateRecordingBody = z.strictObject({
  device_id: z.string().min(1),
  started_at: IsoTimestamp,
  feature_schema_version: z.string().min(1).max(200),
  epoch_seconds: z.number().int().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const ListEpochsQuery = z.strictObject({
  from: IsoTimestamp.optional(),
  to: IsoTimestamp.optional(),
  limit: z.coerce.number().int().min(1).max(10000).default(1000),
  cursor: PageCursor,
});

export function toRecordingResource(row: RecordingRow): Recording {
  return {
    id: row.id,
    device_id: row.device_id,
    started_at: new Date(row.started_at).toISOString(),
    feature_schema_version: row.feature_schema_version,
    epoch_seconds: row.epoch_seconds,
    // A JSON object: the body's metadata was validated as one.
    metadata: row.metadata as Record<string, unknown>,
    created_at: row.created_at.toISOString(),
    closed_at: row.closed_at?.toISOString() ?? null,
  };
}

export function recordingsRouter(ctx: AppContext): Router {
  const router = Router();

  router.post('/v1/recordings', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = validate(CreateRecordingBody, requireObjectBody(req.body), 'recording');
    requireStartedAtInRange(body.started_at, Date.now());
    const epochSeconds = body.epoch_seconds ?? 30;
    if (epochSeconds !== 30) {
      throw unprocessable('invalid_epoch_seconds', `epoch_seconds must be 30, got ${epochSeconds}`, { epoch_seconds: epochSeconds });
    }
    const schemas = ctx.registry.featureSchemas();
    if (!schemas.has(body.feature_schema_version)) {
      throw unprocessable('unknown_feature_schema', `no model declares feature schema ${body.feature_schema_version}`, {
        feature_schema_version: body.feature_schema_version,
        known: [...schemas.keys()],
      });
    }
    const deviceId = parseUuid(body.device_id, 'device_not_found', 'device');
    if (!(await findDevice(ctx.db, deviceId, req.auth.tenant))) {
      throw notFound('device_not_found', `device ${deviceId} does not exist`, { device_id: deviceId });
    }
    await requireNotErasing(ctx, [deviceId]);
    const row = await insertRecording(ctx.db, {
      device_id: deviceId,
      started_at: new Date(body.started_at).toISOString(),
      feature_schema_version: body.feature_schema_version,
      epoch_seconds: epochSeconds,
      metadata: body.metadata ?? {},
      tenant: req.auth.tenant,
    });
    reply(res, Recording, toRecordingResource(row), 201);
  });

  router.get('/v1/recordings/:id', async (req, res) => {
    const row = await requireRecording(ctx, req.params.id, req.auth.tenant);
    const night = (await recordingNightInfo(ctx.db, [row])).get(row.id)!;
    reply(res, RecordingDetail, { ...toRecordingResource(row), ...(await epochStats(ctx.db, epochWindow(row, ctx.config.MAX_RECORDING_EPOCHS))), ended_at: night.ended_at, date: night.date });
  });

  router.get('/v1/recordings/:id/epochs', async (req, res) => {
    const query = parseQuery(ListEpochsQuery, req.query);
    const recording = await requireRecording(ctx, req.params.id, req.auth.tenant);
    const started = new Date(recording.started_at);
    const range = toIndexRange(started, recording.epoch_seconds, query.from, query.to);
    const window = epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS, { fromIndex: pageStart(range.fromIndex, query.cursor), toIndex: range.toIndex });
    const { rows, next_cursor } = toPage(await listEpochs(ctx.db, window, query.limit + 1), query.limit);
    reply(res, EpochPage, {
      items: rows.map((r) => ({ epoch_index: r.epoch_index, ts: epochTime(started, recording.epoch_seconds, r.epoch_index), features: r.features })),
      next_cursor,
    });
  });

  return router;
}
