import type { AppContext } from '../app-context.js';
import type { DeviceRow, RecordingRow } from '../db/database.js';
import { toDeviceResource } from '../devices/devices.routes.js';
import { epochWindow, startingAt, type EpochWindow } from '../recordings/epoch-window.js';
import { toRecordingResource } from '../recordings/recordings.routes.js';
import { epochsPage, labelsPage, predictionVersions, predictionsPage, recordingPage, storedNight } from './export.repository.js';
import type { LineSink } from './line-sink.js';

/** Rows per page query: one page is what an export holds in memory at a time. */
export const EXPORT_PAGE_ROWS = 1000;
const RECORDING_PAGE = 50;

const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const iso = (ts: Date | string) => new Date(ts).toISOString();

/**
 * Pages through one table of one recording by epoch index, writing each page as one chunk. Stops
 * when the client has gone (no further query) or the window is exhausted.
 */
async function pageThrough<Row extends { epoch_index: number }>(
  sink: LineSink,
  window: EpochWindow,
  epochSeconds: number,
  read: (w: EpochWindow) => Promise<Row[]>,
  render: (row: Row) => unknown,
): Promise<void> {
  let current = window;
  while (!sink.closed) {
    const rows = await read(current);
    await sink.write(rows.map((r) => line(render(r))).join(''));
    if (rows.length < EXPORT_PAGE_ROWS) return;
    current = startingAt(current, rows[rows.length - 1]!.epoch_index + 1, epochSeconds);
  }
}

/** One recording in the documented order: recording, epochs, predictions by version, labels, night. */
export async function writeRecording(ctx: AppContext, sink: LineSink, recording: RecordingRow): Promise<void> {
  const { db } = ctx;
  const window = epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS);
  const rid = recording.id;
  const featureNames = ctx.registry.featureSchemas().get(recording.feature_schema_version) ?? null;
  await sink.write(line({ type: 'recording', ...toRecordingResource(recording), feature_names: featureNames }));
  await pageThrough(sink, window, recording.epoch_seconds, (w) => epochsPage(db, w, EXPORT_PAGE_ROWS), (r) => ({ type: 'epoch', recording_id: rid, epoch_index: r.epoch_index, ts: iso(r.ts), features: r.features }));
  for (const version of await predictionVersions(db, window)) {
    let labels: readonly string[] | null = null;
    try {
      labels = ctx.registry.resolve(version).labels;
    } catch {
      // A version no longer loaded: its probabilities are still exported, without names.
    }
    await pageThrough(sink, window, recording.epoch_seconds, (w) => predictionsPage(db, w, version, EXPORT_PAGE_ROWS), (r) => ({
      type: 'prediction',
      recording_id: rid,
      model_version: version,
      epoch_index: r.epoch_index,
      ts: iso(r.ts),
      stage: r.stage,
      probabilities: r.probabilities,
      labels,
    }));
  }
  await pageThrough(sink, window, recording.epoch_seconds, (w) => labelsPage(db, w, EXPORT_PAGE_ROWS), (r) => ({ type: 'label', recording_id: rid, epoch_index: r.epoch_index, ts: iso(r.ts), stage: r.stage }));
  if (sink.closed) return;
  const stored = await storedNight(db, rid);
  if (stored) {
    const n = stored.night;
    await sink.write(line({
      type: 'night',
      recording_id: rid,
      date: n.night_date,
      timezone: n.timezone,
      start: n.start_at?.toISOString() ?? null,
      end: n.end_at?.toISOString() ?? null,
      epoch_count: n.epoch_count,
      tib_min: n.tib_min,
      is_main_sleep: n.is_main_sleep,
      summaries: stored.summaries.map((s) => ({ model_version: s.model_version, summary: s.summary })),
    }));
  }
}

/** The device line, then each recording (oldest first) with everything of it. */
export async function writeDevice(ctx: AppContext, sink: LineSink, device: DeviceRow): Promise<void> {
  await sink.write(line({ type: 'device', ...toDeviceResource(device) }));
  let after: { startedAt: Date; id: string } | null = null;
  while (!sink.closed) {
    const page = await recordingPage(ctx.db, device.id, device.tenant, after, RECORDING_PAGE);
    for (const recording of page) {
      if (sink.closed) return;
      await writeRecording(ctx, sink, recording);
    }
    if (page.length < RECORDING_PAGE) return;
    const last = page[page.length - 1]!;
    after = { startedAt: new Date(last.started_at), id: last.id };
  }
}
