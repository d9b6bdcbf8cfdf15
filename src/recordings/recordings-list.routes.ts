import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import type { RecordingRow } from '../db/database.js';
import { AppError, notFound } from '../errors/app-error.js';
import { findDevice } from '../devices/devices.repository.js';
import { decodeKeyset, encodeKeyset } from '../http/keyset-cursor.js';
import { parseUuid } from '../http/params.js';
import { parseQuery } from '../http/query.js';
import { recordingNightInfo, type RecordingNightInfo } from '../nights/recording-night-info.js';
import { listRecordings } from './recordings-list.repository.js';
import { toRecordingResource } from './recordings.routes.js';
import { ListRecordingsQuery, RecordingPage, type RecordingWithNight } from './recordings.schemas.js';
import { reply } from '../http/reply.js';

export function toRecordingWithNight(row: RecordingRow, night: RecordingNightInfo): RecordingWithNight {
  return { ...toRecordingResource(row), epoch_count: night.epoch_count, ended_at: night.ended_at, date: night.date };
}

export function recordingsListRouter(ctx: AppContext): Router {
  const router = Router();

  router.get('/v1/recordings', async (req, res) => {
    const query = parseQuery(ListRecordingsQuery, req.query);
    if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) >= Date.parse(query.to)) {
      throw new AppError(400, 'invalid_range', `from (${query.from}) must be before to (${query.to})`, { from: query.from, to: query.to });
    }
    let deviceId: string | undefined;
    if (query.device_id !== undefined) {
      deviceId = parseUuid(query.device_id, 'device_not_found', 'device');
      if (!(await findDevice(ctx.db, deviceId, req.auth.tenant))) throw notFound('device_not_found', `device ${deviceId} does not exist`, { device_id: deviceId });
    }
    const after = query.cursor === undefined ? null : decodeKeyset(query.cursor);
    const rows = await listRecordings(ctx.db, { tenant: req.auth.tenant, deviceId, from: query.from, to: query.to }, query.limit + 1, after);
    const page = rows.slice(0, query.limit);
    const nights = await recordingNightInfo(ctx.db, page);
    const last = page[page.length - 1];
    reply(res, RecordingPage, {
      items: page.map(({ keyset_micros: _, ...r }) => toRecordingWithNight(r, nights.get(r.id)!)),
      next_cursor: rows.length > query.limit && last ? encodeKeyset({ micros: last.keyset_micros, id: last.id }) : null,
    });
  });

  return router;
}
