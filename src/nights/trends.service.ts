import type { z } from 'zod';
import type { AppContext } from '../app-context.js';
import type { DeviceRow } from '../db/database.js';
import type { LoadedModel } from '../models/model-loader.js';
import { addDays, daysBetween } from './local-date.js';
import { nightQuality } from './night-quality.js';
import { compareForMainSleep, type MainSleepKey } from './night-span.js';
import { qualityThresholds } from './nights.service.js';
import { mainNightDays } from './nights.repository.js';
import type { TrendsResponse } from './nights.schemas.js';
import { openNights } from './open-nights.js';
import { rollingTrends, type DayFigures, type DayInput } from './trends.js';

/**
 * One item per date of [from, to): the main sleep's figures of a version and rolling means over
 * the `window` dates before it. Stored nights come from one read of the nightly rows (from the
 * window's first date on); the device's few open nights are summarised now and take a date's main
 * sleep when they are longer than the stored one.
 */
export async function deviceTrends(ctx: AppContext, device: DeviceRow, model: LoadedModel, from: string, to: string, window: number): Promise<z.infer<typeof TrendsResponse>> {
  const thresholds = qualityThresholds(ctx);
  const start = addDays(from, -window);
  const rows = await mainNightDays(ctx.db, device.id, model.version, start, to);
  const days: DayInput[] = rows.map((r) => {
    const scored = r.recording_id !== null && r.tst_min !== null;
    const figures: DayFigures | null = scored
      ? { tst_min: r.tst_min!, se_pct: r.se_pct, waso_min: r.waso_min!, sol_min: r.sol_min, rem_latency_min: r.rem_latency_min, minutes: r.stage_minutes! }
      : null;
    const quality = r.recording_id === null ? null : nightQuality(scored ? { tibMin: r.tib_min!, unscoredMin: r.unscored_min!, tstMin: r.tst_min! } : null, thresholds, model.version).code;
    return { date: r.date, recordingId: r.recording_id, quality, figures };
  });
  // The main sleep of each date so far (stored), which an open night takes when it wins by the rule.
  const mains: Array<MainSleepKey | null> = rows.map((r) => (r.recording_id === null ? null : { tibMin: r.tib_min!, start: r.start_at!, recordingId: r.recording_id }));
  const open = await openNights(ctx.db, device, model, { from: start, to }, ctx.config.NIGHTS_OPEN_LIMIT);
  for (const o of open.nights) {
    const k = daysBetween(start, o.span.date);
    const challenger = { tibMin: o.span.tibMin, start: o.span.start, recordingId: o.recordingId };
    const held = mains[k];
    if (held && compareForMainSleep(held, challenger) <= 0) continue;
    mains[k] = challenger;
    const f = o.night?.figures ?? null;
    days[k] = {
      date: o.span.date,
      recordingId: o.recordingId,
      quality: nightQuality(f, thresholds, model.version).code,
      figures: f && { tst_min: f.tstMin, se_pct: f.sePct, waso_min: f.wasoMin, sol_min: f.solMin, rem_latency_min: f.remLatencyMin, minutes: f.stageMinutes },
    };
  }
  return { device_id: device.id, model_version: model.version, labels: [...model.labels], from, to, window, items: rollingTrends(days, window, model.labels), open_nights_omitted: open.omitted };
}
