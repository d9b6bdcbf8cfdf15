import { Router } from 'express';
import type { AppContext } from '../app-context.js';
import type { DeviceRow } from '../db/database.js';
import { notFound } from '../errors/app-error.js';
import { decodeKeyset, encodeKeyset } from '../http/keyset-cursor.js';
import { parseQuery } from '../http/query.js';
import { requireObjectBody, validate } from '../http/validate.js';
import { parseUuid } from '../http/params.js';
import { findDevice, listDevices, updateDevice, upsertDevice } from './devices.repository.js';
import { requireDevice } from './devices.service.js';
import { CreateDeviceBody, Device, DevicePage, ListDevicesQuery, PatchDeviceBody } from './devices.schemas.js';
import { reply } from '../http/reply.js';
import { requireNotErasing } from '../erase/erase.guard.js';
import { jsonBody } from '../http/json-body.js';

export { CreateDeviceBody } from './devices.schemas.js';

export function toDeviceResource(row: DeviceRow): Device {
  return {
    id: row.id,
    external_id: row.external_id,
    name: row.name,
    model: row.model,
    firmware: row.firmware,
    metadata: row.metadata,
    timezone: row.timezone,
    created_at: row.created_at.toISOString(),
  };
}

const deviceNotFound = (id: string) => notFound('device_not_found', `device ${id} does not exist`, { device_id: id });

export function devicesRouter(ctx: AppContext): Router {
  const router = Router();
  router.post('/v1/devices', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    const body = validate(CreateDeviceBody, requireObjectBody(req.body), 'device');
    const { row, created } = await upsertDevice(ctx.db, req.auth.tenant, body);
    reply(res, Device, toDeviceResource(row), created ? 201 : 200);
  });
  router.get('/v1/devices', async (req, res) => {
    const query = parseQuery(ListDevicesQuery, req.query);
    const after = query.cursor === undefined ? null : decodeKeyset(query.cursor);
    const rows = await listDevices(ctx.db, req.auth.tenant, query.limit + 1, after);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    reply(res, DevicePage, { items: page.map((row) => toDeviceResource(row)), next_cursor: rows.length > query.limit && last ? encodeKeyset({ micros: last.keyset_micros, id: last.id }) : null });
  });
  router.get('/v1/devices/:id', async (req, res) => {
    const id = parseUuid(req.params.id, 'device_not_found', 'device');
    const row = await findDevice(ctx.db, id, req.auth.tenant);
    if (!row) throw deviceNotFound(id);
    reply(res, Device, toDeviceResource(row));
  });
  router.patch('/v1/devices/:id', jsonBody(ctx.config.MAX_BODY_BYTES), async (req, res) => {
    // The device first: another tenant's id answers 404 whatever the body.
    const device = await requireDevice(ctx, req.params.id, req.auth.tenant);
    const body = validate(PatchDeviceBody, requireObjectBody(req.body), 'device changes');
    await requireNotErasing(ctx, [device.id]);
    const row = await updateDevice(ctx.db, device.id, req.auth.tenant, body);
    if (!row) throw deviceNotFound(device.id);
    reply(res, Device, toDeviceResource(row));
  });
  return router;
}
