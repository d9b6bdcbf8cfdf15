// Pure: turns (truth, predicted) pair counts into confusion matrices and the evaluation JSON,
// using the shared classification metrics (src/stats/classification.ts).
import { parseTruthStage, truthClassIndex } from '../labels/stages.js';
import { addConfusion, classificationReport, type ConfusionMatrix } from '../stats/classification.js';
import type { PairCount } from './evaluation.repository.js';

export interface RecordingConfusion {
  readonly recordingId: string;
  readonly matrix: ConfusionMatrix;
  /** Epochs with a label and a prediction whose scored stage has no class in the label map. */
  readonly unmapped: number;
}

const zeros = (k: number): number[][] => Array.from({ length: k }, () => new Array<number>(k).fill(0));

/** One confusion matrix per recording (truth in rows), truth mapped onto the model's classes. */
export function confusionByRecording(labels: readonly string[], pairs: readonly PairCount[]): RecordingConfusion[] {
  const acc = new Map<string, { counts: number[][]; total: number; unmapped: number }>();
  for (const pair of pairs) {
    let entry = acc.get(pair.recording_id);
    if (!entry) acc.set(pair.recording_id, (entry = { counts: zeros(labels.length), total: 0, unmapped: 0 }));
    const stage = parseTruthStage(pair.truth);
    const t = stage === null ? -1 : truthClassIndex(stage, labels);
    const p = labels.indexOf(pair.predicted);
    if (p < 0) throw new Error(`stored prediction stage ${pair.predicted} is not one of ${labels.join(', ')}`);
    if (t < 0) {
      entry.unmapped += pair.n;
    } else {
      entry.counts[t]![p]! += pair.n;
      entry.total += pair.n;
    }
  }
  return [...acc].map(([recordingId, e]) => ({
    recordingId,
    matrix: { labels: [...labels], counts: e.counts, total: e.total },
    unmapped: e.unmapped,
  }));
}

/** Sum of the recordings' matrices. */
export function pooled(labels: readonly string[], recordings: readonly RecordingConfusion[]): RecordingConfusion {
  return recordings.reduce<RecordingConfusion>(
    (sum, r) => ({ recordingId: '*', matrix: addConfusion(sum.matrix, r.matrix), unmapped: sum.unmapped + r.unmapped }),
    { recordingId: '*', matrix: { labels: [...labels], counts: zeros(labels.length), total: 0 }, unmapped: 0 },
  );
}

/** `{n, unmapped, accuracy, cohen_kappa, confusion, per_class}` of one (possibly pooled) matrix. */
export function toMetrics(c: RecordingConfusion) {
  const report = classificationReport(c.matrix);
  return {
    n: report.total,
    unmapped: c.unmapped,
    accuracy: report.accuracy,
    cohen_kappa: report.cohenKappa,
    confusion: { labels: report.labels, matrix: report.confusion },
    per_class: Object.fromEntries(
      report.perClass.map((m) => [m.label, { precision: m.precision, recall: m.recall, f1: m.f1, support: m.support }]),
    ),
  };
}

export interface Spread {
  /** Values that are defined (a recording's kappa is null when it is 0/0). */
  readonly n: number;
  readonly mean: number | null;
  /** Sample standard deviation (n − 1); null below two values. */
  readonly sd: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

export function spread(values: readonly (number | null)[]): Spread {
  const xs = values.filter((v): v is number => v !== null);
  const n = xs.length;
  if (n === 0) return { n, mean: null, sd: null, min: null, max: null };
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  const sd = n < 2 ? null : Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  return { n, mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}
