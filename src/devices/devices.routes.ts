import { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { DeviceRow } from '../db/database.js';
import { notFound } from '../errors/app-error.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { parseUuid } from '../http/params.js';
import { findDevice, upsertDevice } from './devices.repository.js';
import { jsonBody } from '../http/json-body.js';

export const CreateDeviceBody = z.strictObject({
  external_id: z.string().trim().min(1).max(200),
  name: z.string().max(200).nullish(),
  model: z.string().max(200).nullish(),
  firmware: z.string().max(200).nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export function toDeviceResource(row: DeviceRow) {
  return {
    id: row.id,
    external_id: row.external_id,
    name: row.name,
    model: row.model,
    firmware: row.firmware,
    metadata: row.metadata,
    created_at: row.created_at.toISOString(),
  };
}

export function devicesRouter(ctx: AppContext): Router {
  const router = Router();
  router.post('/v1/devices', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = validate(CreateDeviceBody, requireObjectBody(req.body), 'device');
    const { row, created } = await upsertDevice(ctx.db, req.auth.tenant, body);
    res.status(created ? 201 : 200).json(toDeviceResource(row));
  });
  router.get('/v1/devices/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'device_not_found', 'device');
    const row = await findDevice(ctx.db, id, req.auth.tenant);
    if (!row) throw notFound('device_not_found', `device ${id} does not exist`, { device_id: id });
    res.json(toDeviceResource(row));
  });
  return router;
}
