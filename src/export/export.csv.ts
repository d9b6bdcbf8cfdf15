import type { AppContext } from '../app-context.js';
import type { RecordingRow } from '../db/database.js';
import type { LoadedModel } from '../models/model-loader.js';
import { epochWindow, startingAt } from '../recordings/epoch-window.js';
import { EXPORT_PAGE_ROWS } from './export.ndjson.js';
import { epochsPage, predictionsPage } from './export.repository.js';
import type { LineSink } from './line-sink.js';

/** RFC 4180: quote a field holding a comma, quote or line break. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
const csvLine = (fields: ReadonlyArray<string | number | null>) => `${fields.map(csvField).join(',')}\r\n`;

/**
 * One row per stored epoch: index, time, the raw features by name, and `model`'s stage and
 * probabilities (empty where it has not scored the epoch). Epochs and that version's predictions
 * are read page by page over the same index range and merged.
 */
export async function writeRecordingCsv(ctx: AppContext, sink: LineSink, recording: RecordingRow, model: LoadedModel): Promise<void> {
  const names = ctx.registry.featureSchemas().get(recording.feature_schema_version) ?? model.features;
  await sink.write(csvLine(['epoch_index', 'time', ...names, 'stage', ...model.labels.map((l) => `p_${l}`)]));
  let window = epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS);
  while (!sink.closed) {
    const epochs = await epochsPage(ctx.db, window, EXPORT_PAGE_ROWS);
    if (epochs.length === 0) return;
    const last = epochs[epochs.length - 1]!.epoch_index;
    const range = { ...window, toIndex: last + 1, toTs: new Date(new Date(recording.started_at).getTime() + (last + 1) * recording.epoch_seconds * 1000) };
    const predictions = new Map((await predictionsPage(ctx.db, range, model.version, EXPORT_PAGE_ROWS)).map((p) => [p.epoch_index, p]));
    const text = epochs
      .map((e) => {
        const p = predictions.get(e.epoch_index);
        const features = names.map((_, i) => e.features[i] ?? null);
        return csvLine([e.epoch_index, new Date(e.ts).toISOString(), ...features, p?.stage ?? null, ...model.labels.map((_, i) => p?.probabilities[i] ?? null)]);
      })
      .join('');
    await sink.write(text);
    if (epochs.length < EXPORT_PAGE_ROWS) return;
    window = startingAt(window, last + 1, recording.epoch_seconds);
  }
}
