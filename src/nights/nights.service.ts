import type { AppContext } from '../app-context.js';
import type { DeviceRow } from '../db/database.js';
import type { LoadedModel } from '../models/model-loader.js';
import { nightQuality, type QualityThresholds } from './night-quality.js';
import { compareForMainSleep } from './night-span.js';
import { listStoredNights } from './nights.repository.js';
import type { z } from 'zod';
import { MAX_NIGHTS, type NightItem, type NightsResponse } from './nights.schemas.js';
import { AppError } from '../errors/app-error.js';
import { openNights } from './open-nights.js';
import type { Summary } from '../summary/summary.schemas.js';

type Item = z.infer<typeof NightItem>;

export function qualityThresholds(ctx: AppContext): QualityThresholds {
  return { minTibMinutes: ctx.config.NIGHT_MIN_TIB_MINUTES, maxUnscoredPct: ctx.config.NIGHT_MAX_UNSCORED_PCT };
}

/** A device's nights dated in [from, to) with one version's summaries: stored ones and the few open ones. */
export async function listNights(ctx: AppContext, device: DeviceRow, model: LoadedModel, from: string, to: string): Promise<z.infer<typeof NightsResponse>> {
  const thresholds = qualityThresholds(ctx);
  const stored = await listStoredNights(ctx.db, device.id, model.version, from, to, MAX_NIGHTS + 1);
  if (stored.length > MAX_NIGHTS) {
    throw new AppError(400, 'invalid_range', `more than ${MAX_NIGHTS} nights of this device in [${from}, ${to}); ask for a shorter range`, { from, to, max_nights: MAX_NIGHTS });
  }
  const items: Item[] = stored.map((n) => ({
    date: n.night_date,
    recording_id: n.recording_id,
    is_main_sleep: n.is_main_sleep,
    start: n.start_at.toISOString(),
    end: n.end_at.toISOString(),
    timezone: n.timezone,
    closed: true,
    model_version: model.version,
    quality: nightQuality(n.tst_min === null ? null : { tibMin: n.tib_min, unscoredMin: n.unscored_min!, tstMin: n.tst_min }, thresholds, model.version),
    // Stored as toSummaryResource wrote it (night-summary.ts).
    summary: (n.summary as Summary | null) ?? null,
  }));
  const open = await openNights(ctx.db, device, model, { from, to }, ctx.config.NIGHTS_OPEN_LIMIT);
  for (const o of open.nights) {
    items.push({
      date: o.span.date,
      recording_id: o.recordingId,
      is_main_sleep: false,
      start: o.span.start.toISOString(),
      end: o.span.end.toISOString(),
      timezone: o.span.timezone,
      closed: false,
      model_version: model.version,
      quality: nightQuality(o.night?.figures ?? null, thresholds, model.version),
      summary: o.night?.summary ?? null,
    });
  }
  // Dates with an open night: the main sleep is chosen again among all of that date's nights, by
  // the rule the stored flags follow (compareForMainSleep).
  for (const date of new Set(open.nights.map((o) => o.span.date))) {
    const ofDate = items.filter((i) => i.date === date);
    const key = (i: Item) => ({ tibMin: (Date.parse(i.end) - Date.parse(i.start)) / 60_000, start: new Date(i.start), recordingId: i.recording_id });
    const main = [...ofDate].sort((a, b) => compareForMainSleep(key(a), key(b)))[0]!;
    for (const i of ofDate) i.is_main_sleep = i === main;
  }
  items.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : Date.parse(a.start) - Date.parse(b.start) || (a.recording_id < b.recording_id ? -1 : 1)));
  return { device_id: device.id, model_version: model.version, from, to, items, open_nights_omitted: open.omitted };
}
