import type { AppContext } from '../app-context.js';
import type { RecordingRow } from '../db/database.js';
import { listLabels } from '../labels/labels.repository.js';
import { truthClassIndex } from '../labels/stages.js';
import { epochWindow } from '../recordings/epoch-window.js';
import { loadHypnogram, type Hypnogram, type HypnogramQuery } from '../summary/hypnogram.service.js';
import { UNSCORED } from '../summary/sleep-statistics.js';
import type { HypnogramPicture } from './hypnogram.svg.js';

export interface NightView {
  readonly hypnogram: Hypnogram;
  readonly picture: HypnogramPicture;
  /** Labelled epochs inside the hypnogram's span. */
  readonly labelled: number;
}

/** The predicted hypnogram of a range with the ground truth (mapped onto the model's classes) beside it. */
export async function loadNightView(ctx: AppContext, recording: RecordingRow, query: HypnogramQuery): Promise<NightView> {
  const hypnogram = await loadHypnogram(ctx, recording, query);
  const { model, firstIndex, lastIndex, classes } = hypnogram;
  const labels = await listLabels(ctx.db, epochWindow(recording, ctx.config.MAX_RECORDING_EPOCHS, { fromIndex: firstIndex, toIndex: lastIndex + 1 }));
  const truth = new Int16Array(classes.length).fill(UNSCORED);
  for (const label of labels) truth[label.epoch_index - firstIndex] = truthClassIndex(label.stage, model.labels);
  const startMs = new Date(recording.started_at).getTime() + firstIndex * recording.epoch_seconds * 1000;
  const picture: HypnogramPicture = {
    title: `Hypnogram of ${new Date(startMs).toISOString().slice(0, 10)}, model ${model.version}`,
    labels: model.labels,
    startMs,
    epochSeconds: recording.epoch_seconds,
    predicted: classes,
    confidence: hypnogram.confidence,
    truth: labels.length > 0 ? truth : null,
  };
  return { hypnogram, picture, labelled: labels.length };
}
