// Human-readable CV summary (what `npm run train` prints); metadata.json keeps the same figures.

import type { CvReport, KappaSummary } from './cv-report.js';
import { formatGridResult, type TuningOutcome } from './grid-search.js';

const f = (v: number | null, d = 4): string => (v === null ? 'n/a' : v.toFixed(d));

function kappaLine(name: string, k: KappaSummary | null): string {
  if (!k) return `  ${name.padEnd(16)} n/a (classes cannot be collapsed)`;
  return `  ${name.padEnd(16)} pooled ${f(k.pooled)}   per subject ${f(k.subjectMean)} ± ${f(k.subjectSd)}`;
}

export function formatReport(r: CvReport): string[] {
  const lines = [
    `  ${r.method}; held-out nights scored whole as served`,
    `  kappa:`,
    kappaLine(r.labels.join('/'), r.kappa.model),
    // A W/NREM/REM model's own kappa is already the W/NREM/REM one.
    ...(r.labels.join('/') === 'W/NREM/REM' ? [] : [kappaLine('W/NREM/REM', r.kappa.wNremRem)]),
    kappaLine('wake/sleep', r.kappa.wakeSleep),
    `  accuracy ${f(r.pooled.accuracy)}`,
    `  per-class recall: ${Object.entries(r.perClassRecall)
      .map(([k, v]) => `${k} ${f(v, 3)}`)
      .join(', ')}`,
    `  confusion (rows truth, cols predicted: ${r.labels.join(' ')}):`,
    ...r.pooled.confusion.map((row, i) => `    ${r.labels[i]!.padEnd(6)} ${row.map((v) => String(v).padStart(6)).join(' ')}`),
    `  night statistics per night (answer - truth): MAE / mean signed error  [trivial answer: MAE / mean signed]`,
    ...r.nightMetrics.map(
      (m) =>
        `    ${m.key.padEnd(14)} ${f(m.model.mae, 1).padStart(6)} / ${f(m.model.meanSignedError, 1).padStart(6)}   ` +
        `[${m.trivialAnswer}: ${f(m.trivial.mae, 1)} / ${f(m.trivial.meanSignedError, 1)}]` +
        (m.model.nNights < r.nights.length ? `  (${m.model.nNights} of ${r.nights.length} nights defined)` : ''),
    ),
  ];
  return lines;
}

export function formatTuning(title: string, t: TuningOutcome): string {
  return [
    title,
    `  grid:`,
    ...t.grid.map((g) => `    ${formatGridResult(g)}`),
    `  chosen: classWeight=${t.chosen.classWeight} l2=${t.chosen.l2} (best pooled kappa over the model's classes)`,
    ...formatReport(t.report),
  ].join('\n');
}
