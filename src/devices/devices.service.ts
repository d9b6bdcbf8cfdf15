import type { AppContext } from '../app-context.js';
import type { DeviceRow } from '../db/database.js';
import { notFound } from '../errors/app-error.js';
import { parseUuid } from '../http/params.js';
import { findDevice } from './devices.repository.js';

/** Loads one of `tenant`'s devices or answers 404 device_not_found, as for an unknown id. */
export async function requireDevice(ctx: AppContext, rawId: unknown, tenant: string): Promise<DeviceRow> {
  const id = parseUuid(rawId, 'device_not_found', 'device');
  const row = await findDevice(ctx.db, id, tenant);
  if (!row) throw notFound('device_not_found', `device ${id} does not exist`, { device_id: id });
  return row;
}
