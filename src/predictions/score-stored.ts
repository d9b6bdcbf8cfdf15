import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { RecordingClock } from '../epochs/epochs.repository.js';
import { listEpochs } from '../epochs/epochs.repository.js';
import type { LoadedModel } from '../models/model-loader.js';
import { scoreEpochs } from '../models/model-scoring.js';
import { upsertPredictions } from './predictions.repository.js';

const PAGE = 5000;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Scores a recording's stored epochs in index pages and upserts that version's predictions page by
 * page, so memory stays flat and the event loop breathes between pages (job locks stay renewed).
 */
export async function scoreStoredEpochs(
  db: Kysely<Database>,
  recording: RecordingClock,
  model: LoadedModel,
  range: { fromIndex: number; toIndex: number | null; onlyMissing?: boolean },
  onPage?: (scored: number) => Promise<void>,
): Promise<number> {
  const n = model.features.length;
  const features = new Float32Array(PAGE * n);
  let from = range.fromIndex;
  let scored = 0;
  for (;;) {
    const rows = await listEpochs(db, recording.id, {
      fromIndex: from,
      toIndex: range.toIndex,
      limit: PAGE,
      ...(range.onlyMissing ? { withoutPredictionOf: model.version } : {}),
    });
    if (rows.length === 0) break;
    const indices = new Int32Array(rows.length);
    rows.forEach((row, k) => {
      indices[k] = row.epoch_index;
      features.set(row.features.length === n ? row.features : row.features.slice(0, n), k * n);
    });
    const scores = scoreEpochs(model, indices, features.subarray(0, rows.length * n), rows.length);
    await upsertPredictions(db, recording, { modelVersion: model.version, labels: model.labels, indices, ...scores }, true);
    scored += rows.length;
    await onPage?.(scored);
    if (rows.length < PAGE) break;
    from = indices[rows.length - 1]! + 1;
    await yieldToLoop();
  }
  return scored;
}
