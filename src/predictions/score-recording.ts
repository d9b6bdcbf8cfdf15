import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import { loadStoredNight, type RecordingClock, type StoredNight } from '../epochs/epochs.repository.js';
import type { LoadedModel } from '../models/model-loader.js';
import { scoreEpochsTraced } from '../models/model-scoring.traced.js';
import { refreshScoredNight } from '../nights/night-store.js';
import { yieldToLoop } from '../queues/yield.js';
import { epochWindow, startingAt } from '../recordings/epoch-window.js';
import { markNightScored, replacePredictions } from './predictions.repository.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per read and per write of models that score epoch by epoch; bounds memory on long recordings. */
const PAGE = 5000;

export interface RecordingScoring {
  /** Stored epochs scored. */
  readonly epochs: number;
  /** Epoch indices whose prediction of this version was inserted or changed. */
  readonly written: number[];
}

/**
 * Scores a recording's stored night with one model version and writes that version's predictions
 * where they changed. A whole-night model reads every stored epoch (its predictions depend on the
 * neighbours); a per-epoch model pages through them, which gives the same predictions with flat
 * memory. `range` limits which predictions are written, never what the model sees.
 * `recordingEpochs` (MAX_RECORDING_EPOCHS) bounds the night's rows, and so the chunks read.
 * With a whole-night model the caller holds the night's lock (lockNight) in `db`'s transaction:
 * otherwise an upload and its night scoring committed between this read and write are overwritten
 * with the older night's predictions.
 */
export async function scoreRecording(
  db: Db,
  recording: RecordingClock,
  model: LoadedModel,
  recordingEpochs: number,
  range: { fromIndex: number; toIndex: number | null } = { fromIndex: 0, toIndex: null },
): Promise<RecordingScoring> {
  const nF = model.features.length;
  const written: number[] = [];
  let epochs = 0;
  if (model.wholeNight) {
    const night = await loadStoredNight(db, epochWindow(recording, recordingEpochs), nF);
    epochs = night.count;
    const inRange = within(night, range);
    if (inRange.length > 0) {
      const scores = scoreEpochsTraced(model, night.indices, night.features, night.count);
      for (let start = 0; start < inRange.length; start += PAGE) {
        const rows = inRange.slice(start, start + PAGE);
        written.push(...(await replacePredictions(db, recording, predictionBatch(model, night, rows, scores))));
      }
    }
  } else {
    const window = epochWindow(recording, recordingEpochs, range);
    let from = window.fromIndex;
    for (;;) {
      const page = await loadStoredNight(db, startingAt(window, from, recording.epoch_seconds), nF, PAGE);
      if (page.count === 0) break;
      const scores = scoreEpochsTraced(model, page.indices, page.features, page.count);
      const all = Array.from({ length: page.count }, (_, k) => k);
      written.push(...(await replacePredictions(db, recording, predictionBatch(model, page, all, scores))));
      epochs += page.count;
      if (page.count < PAGE) break;
      from = page.indices[page.count - 1]! + 1;
      await yieldToLoop();
    }
  }
  await markNightScored(db, recording.id, model.version);
  // A closed night's stored summary of this version follows its predictions, in this transaction.
  await refreshScoredNight(db, recording.id, model);
  return { epochs, written };
}

/** Positions of the night's epochs inside [fromIndex, toIndex). */
function within(night: StoredNight, range: { fromIndex: number; toIndex: number | null }): number[] {
  const rows: number[] = [];
  for (let k = 0; k < night.count; k++) {
    const index = night.indices[k]!;
    if (index >= range.fromIndex && (range.toIndex === null || index < range.toIndex)) rows.push(k);
  }
  return rows;
}

function predictionBatch(model: LoadedModel, night: StoredNight, rows: readonly number[], scores: { probabilities: Float32Array; classes: Uint8Array }) {
  const nC = model.labels.length;
  const indices = new Int32Array(rows.length);
  const probabilities = new Float32Array(rows.length * nC);
  const classes = new Uint8Array(rows.length);
  rows.forEach((k, r) => {
    indices[r] = night.indices[k]!;
    probabilities.set(scores.probabilities.subarray(k * nC, (k + 1) * nC), r * nC);
    classes[r] = scores.classes[k]!;
  });
  return { modelVersion: model.version, labels: model.labels, indices, probabilities, classes };
}
