import { z } from 'zod';
import { normalizeTimeZone } from '../nights/local-date.js';

/** An IANA zone name Intl knows; stored as given, letter case corrected. */
export const TimeZoneName = z
  .string()
  .transform((name, ctx) => {
    const zone = normalizeTimeZone(name);
    if (zone === null) {
      ctx.addIssue({ code: 'custom', message: `unknown IANA time zone ${JSON.stringify(name.slice(0, 64))} (e.g. "Europe/London", "UTC")` });
      return z.NEVER;
    }
    return zone;
  })
  .describe('IANA time zone, e.g. "Europe/London"; nights are dated in it');

export const CreateDeviceBody = z.strictObject({
  external_id: z.string().trim().min(1).max(200),
  name: z.string().max(200).nullish(),
  model: z.string().max(200).nullish(),
  firmware: z.string().max(200).nullish(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  timezone: TimeZoneName.optional().describe('IANA time zone (default UTC); nights are dated in it'),
});
export type CreateDeviceBody = z.infer<typeof CreateDeviceBody>;

export const PatchDeviceBody = z
  .strictObject({
    name: z.string().max(200).nullable().optional(),
    firmware: z.string().max(200).nullable().optional(),
    timezone: TimeZoneName.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change: send name, firmware or timezone' });
export type PatchDeviceBody = z.infer<typeof PatchDeviceBody>;

export const ListDevicesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(200).optional(),
});

export const Device = z.strictObject({
  id: z.uuid(),
  external_id: z.string(),
  name: z.string().nullable(),
  model: z.string().nullable(),
  firmware: z.string().nullable(),
  metadata: z.unknown(),
  timezone: z.string(),
  created_at: z.iso.datetime(),
});
export type Device = z.infer<typeof Device>;

export const DevicePage = z.strictObject({
  items: z.array(Device).describe('oldest first'),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
});
