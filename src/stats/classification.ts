// Pure classification metrics over class indices 0..labels.length-1.
//
// Conventions for undefined values (chosen so callers never see NaN, which JSON cannot carry):
// - accuracy: null when there are no samples.
// - Cohen's kappa: null when undefined, i.e. no samples, or expected agreement p_e = 1 (truth and
//   prediction both put every sample in the same single class, so observed agreement is also 1 and
//   kappa is 0/0). sklearn returns NaN there; we return null rather than a made-up 0 or 1.
// - precision: null when the class was never predicted (tp+fp = 0).
// - recall: null when the class has no true samples (support = 0).
// - f1: 2tp/(2tp+fp+fn), null only when the class appears in neither truth nor prediction. This
//   equals the harmonic mean whenever precision and recall are both defined, and gives 0 (not null)
//   when a class with support is never predicted.
// - macro averages: unweighted mean over the classes where the metric is defined (macro recall is
//   therefore balanced accuracy over classes present in truth); null if no class qualifies.

export interface ConfusionMatrix {
  readonly labels: readonly string[];
  /** counts[t][p]: number of samples with true class t predicted as p. */
  readonly counts: number[][];
  readonly total: number;
}

export interface ClassMetrics {
  label: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  support: number;
}

export interface MacroAverages {
  precision: number | null;
  recall: number | null;
  f1: number | null;
}

export interface ClassificationReport {
  labels: string[];
  total: number;
  accuracy: number | null;
  cohenKappa: number | null;
  perClass: ClassMetrics[];
  macro: MacroAverages;
  /** counts[t][p], truth in rows. */
  confusion: number[][];
}

/** Build a confusion matrix; throws if a class index is out of range or lengths differ. */
export function confusionMatrix(
  truth: ArrayLike<number>,
  pred: ArrayLike<number>,
  labels: readonly string[],
): ConfusionMatrix {
  if (truth.length !== pred.length) throw new Error(`truth has ${truth.length} items but pred has ${pred.length}`);
  const k = labels.length;
  if (k === 0) throw new Error('labels must not be empty');
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]!;
    const p = pred[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= k) throw new Error(`truth[${i}] = ${t} is not a class index in [0, ${k})`);
    if (!Number.isInteger(p) || p < 0 || p >= k) throw new Error(`pred[${i}] = ${p} is not a class index in [0, ${k})`);
    counts[t]![p]!++;
  }
  return { labels: [...labels], counts, total: truth.length };
}

/** Element-wise sum of matrices over the same labels (e.g. pooling CV folds). */
export function addConfusion(a: ConfusionMatrix, b: ConfusionMatrix): ConfusionMatrix {
  if (a.labels.length !== b.labels.length || a.labels.some((l, i) => l !== b.labels[i])) {
    throw new Error('cannot add confusion matrices with different labels');
  }
  const counts = a.counts.map((row, t) => row.map((v, p) => v + b.counts[t]![p]!));
  return { labels: [...a.labels], counts, total: a.total + b.total };
}

function rowSums(cm: ConfusionMatrix): number[] {
  return cm.counts.map((row) => row.reduce((s, v) => s + v, 0));
}

function colSums(cm: ConfusionMatrix): number[] {
  const k = cm.labels.length;
  const out = new Array<number>(k).fill(0);
  for (const row of cm.counts) for (let p = 0; p < k; p++) out[p]! += row[p]!;
  return out;
}

function trace(cm: ConfusionMatrix): number {
  let s = 0;
  for (let i = 0; i < cm.labels.length; i++) s += cm.counts[i]![i]!;
  return s;
}

export function accuracy(cm: ConfusionMatrix): number | null {
  return cm.total === 0 ? null : trace(cm) / cm.total;
}

/** Unweighted Cohen's kappa (p_o - p_e) / (1 - p_e); see header for the null cases. */
export function cohenKappa(cm: ConfusionMatrix): number | null {
  const n = cm.total;
  if (n === 0) return null;
  const rows = rowSums(cm);
  const cols = colSums(cm);
  // Work in counts (n^2 scale) so the p_e = 1 test is exact integer arithmetic, not a float compare.
  let expectedN2 = 0;
  for (let i = 0; i < rows.length; i++) expectedN2 += rows[i]! * cols[i]!;
  const n2 = n * n;
  if (expectedN2 === n2) return null;
  const observedN2 = trace(cm) * n;
  return (observedN2 - expectedN2) / (n2 - expectedN2);
}

export function perClassMetrics(cm: ConfusionMatrix): ClassMetrics[] {
  const rows = rowSums(cm);
  const cols = colSums(cm);
  return cm.labels.map((label, i) => {
    const tp = cm.counts[i]![i]!;
    const support = rows[i]!;
    const predicted = cols[i]!;
    const fn = support - tp;
    const fp = predicted - tp;
    const f1Denominator = 2 * tp + fp + fn;
    return {
      label,
      precision: predicted === 0 ? null : tp / predicted,
      recall: support === 0 ? null : tp / support,
      f1: f1Denominator === 0 ? null : (2 * tp) / f1Denominator,
      support,
    };
  });
}

function meanDefined(values: readonly (number | null)[]): number | null {
  let s = 0;
  let n = 0;
  for (const v of values) {
    if (v !== null) {
      s += v;
      n++;
    }
  }
  return n === 0 ? null : s / n;
}

export function macroAverages(perClass: readonly ClassMetrics[]): MacroAverages {
  return {
    precision: meanDefined(perClass.map((m) => m.precision)),
    recall: meanDefined(perClass.map((m) => m.recall)),
    f1: meanDefined(perClass.map((m) => m.f1)),
  };
}

/** Everything at once, JSON-serialisable (no NaN: undefined values are null). */
export function classificationReport(cm: ConfusionMatrix): ClassificationReport {
  const perClass = perClassMetrics(cm);
  return {
    labels: [...cm.labels],
    total: cm.total,
    accuracy: accuracy(cm),
    cohenKappa: cohenKappa(cm),
    perClass,
    macro: macroAverages(perClass),
    confusion: cm.counts.map((row) => [...row]),
  };
}
