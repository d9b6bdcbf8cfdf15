// Orchestrates training: load CSVs, tune (l2, class weighting) by leave-subjects-out CV, fit on all
// subjects with the chosen setting, and write an immutable model folder.

import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { TransformSpec } from '../models/transforms.js';
import { compileTransforms, transformsToJson } from '../models/transforms.js';
import { encodeNpy } from '../models/npy-write.js';
import type { GridPoint, TuningOutcome } from './cross-validation.js';
import { gridSearch, prepareRows } from './cross-validation.js';
import type { SubjectData } from './csv.js';
import { loadSleepAccelDir, SLEEP_ACCEL_FEATURES, SLEEP_ACCEL_SCHEMA_VERSION } from './csv.js';
import type { LabelSetName } from './label-sets.js';
import { AASM_STAGES, LABEL_SETS, labelMapJson } from './label-sets.js';
import type { ClassWeighting, LogisticRegressionFit } from './logistic-regression.js';
import { fitLogisticRegression } from './logistic-regression.js';
import { buildMetadata } from './model-metadata.js';

export interface TrainOptions {
  readonly dataDir: string;
  readonly labelSet: LabelSetName;
  readonly transforms: readonly TransformSpec[];
  /** Every (l2, classWeight) pair is cross-validated; the best pooled kappa wins. */
  readonly l2Grid: readonly number[];
  readonly classWeightGrid: readonly ClassWeighting[];
  /** Number of grouped folds; >= number of subjects means leave-one-subject-out. */
  readonly folds: number;
  /** Also CV the same grid without transforms and record it as a baseline in metadata. */
  readonly compareUntransformed: boolean;
  readonly version: string;
  readonly outDir: string;
  readonly force: boolean;
  /** Evaluate only; write nothing. */
  readonly dryRun: boolean;
  /** The command line, recorded verbatim in metadata. */
  readonly command: string;
  readonly maxIter?: number;
  readonly now?: Date;
  readonly log?: (line: string) => void;
}

export interface TrainResult {
  readonly modelDir: string | null;
  readonly tuning: TuningOutcome;
  readonly baseline: TuningOutcome | null;
  readonly fit: LogisticRegressionFit;
  readonly metadata: Record<string, unknown>;
}

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function buildGrid(opts: TrainOptions): GridPoint[] {
  const grid: GridPoint[] = [];
  for (const classWeight of opts.classWeightGrid) for (const l2 of opts.l2Grid) grid.push({ l2, classWeight });
  return grid;
}

function tune(subjects: readonly SubjectData[], opts: TrainOptions, transforms: readonly TransformSpec[]): TuningOutcome {
  const features = [...SLEEP_ACCEL_FEATURES];
  const compiled = transforms.length > 0 ? compileTransforms(transforms, features) : null;
  return gridSearch(
    subjects,
    LABEL_SETS[opts.labelSet],
    compiled,
    features.length,
    buildGrid(opts),
    opts.folds,
    opts.maxIter,
  );
}

/** Human-readable CV summary (what the CLI prints). */
export function formatCvReport(title: string, t: TuningOutcome): string {
  const r = t.report;
  const f = (v: number | null, d = 4): string => (v === null ? 'n/a' : v.toFixed(d));
  const lines = [
    `${title}`,
    `  ${r.method}`,
    `  grid (pooled kappa / accuracy):`,
    ...t.grid.map((g) => `    classWeight=${g.classWeight} l2=${g.l2}: kappa ${f(g.kappa)}  acc ${f(g.accuracy)}`),
    `  chosen: classWeight=${t.chosen.classWeight} l2=${t.chosen.l2}`,
    `  accuracy ${f(r.pooled.accuracy)}  kappa ${f(r.pooled.cohenKappa)}  per-fold kappa ${f(r.kappaMean)} ± ${f(r.kappaSd)} (mean ± sd, ${r.nFolds} folds)`,
    `  per-class recall: ${Object.entries(r.perClassRecall)
      .map(([k, v]) => `${k} ${f(v, 3)}`)
      .join(', ')}`,
    `  confusion (rows truth, cols predicted: ${r.pooled.labels.join(' ')}):`,
    ...r.pooled.confusion.map((row, i) => `    ${r.pooled.labels[i]!.padEnd(6)} ${row.map((v) => String(v).padStart(6)).join(' ')}`),
  ];
  return lines.join('\n');
}

export async function trainModel(opts: TrainOptions): Promise<TrainResult> {
  const log = opts.log ?? (() => {});
  if (!VERSION_RE.test(opts.version)) {
    throw new Error(`version "${opts.version}" must match ${VERSION_RE} (it becomes a folder name)`);
  }
  const labelSet = LABEL_SETS[opts.labelSet];
  const features = [...SLEEP_ACCEL_FEATURES];
  const compiled = opts.transforms.length > 0 ? compileTransforms(opts.transforms, features) : null;
  const modelDir = resolve(opts.outDir, opts.version);
  if (!opts.dryRun && !opts.force && (await exists(modelDir))) {
    throw new Error(`${modelDir} already exists; model versions are immutable (use --force to replace)`);
  }

  const subjects = await loadSleepAccelDir(opts.dataDir);
  const nEpochs = subjects.reduce((s, d) => s + d.nEpochs, 0);
  log(`loaded ${subjects.length} subjects, ${nEpochs} epochs from ${opts.dataDir}`);

  const tuning = tune(subjects, opts, opts.transforms);
  log(formatCvReport(`CV (${opts.transforms.length > 0 ? 'with transforms' : 'raw features'})`, tuning));
  let baseline: TuningOutcome | null = null;
  if (opts.compareUntransformed && opts.transforms.length > 0) {
    baseline = tune(subjects, opts, []);
    log(formatCvReport('CV baseline (same grid, no transforms)', baseline));
  }

  const all = prepareRows(subjects, labelSet, compiled, features.length);
  const fitOpts = opts.maxIter === undefined ? { ...tuning.chosen } : { ...tuning.chosen, maxIter: opts.maxIter };
  const fit = fitLogisticRegression(all.transformed, all.y, features.length, labelSet.classes.length, fitOpts);
  if (!fit.converged) log(`warning: final fit did not converge in ${fit.iterations} iterations`);

  const classCounts: Record<string, number> = {};
  labelSet.classes.forEach((c) => (classCounts[c] = 0));
  for (let i = 0; i < all.n; i++) classCounts[labelSet.classes[all.y[i]!]!]!++;
  const stageCounts: Record<string, number> = {};
  AASM_STAGES.forEach((s) => (stageCounts[s] = 0));
  for (const s of subjects) for (let i = 0; i < s.nEpochs; i++) stageCounts[AASM_STAGES[s.stages[i]!]!]!++;

  const metadata = buildMetadata({
    version: opts.version,
    createdAt: (opts.now ?? new Date()).toISOString(),
    labelSet,
    features,
    transforms: opts.transforms,
    nSubjects: subjects.length,
    nEpochs,
    classCounts,
    stageCounts,
    fit,
    tuning,
    baseline,
    command: opts.command,
  });

  if (opts.dryRun) return { modelDir: null, tuning, baseline, fit, metadata };

  // Write into a temp sibling then rename, so a concurrent registry scan never sees a half-written model.
  await mkdir(resolve(opts.outDir), { recursive: true });
  const tmpDir = resolve(opts.outDir, `.${opts.version}.tmp-${process.pid}`);
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir);
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  await writeFile(join(tmpDir, 'weights.npy'), encodeNpy(Float32Array.from(fit.weights), [fit.nFeatures, fit.nClasses]));
  await writeFile(join(tmpDir, 'bias.npy'), encodeNpy(Float32Array.from(fit.bias), [fit.nClasses]));
  await writeFile(join(tmpDir, 'label_map.json'), json(labelMapJson(labelSet)));
  await writeFile(join(tmpDir, 'feature_schema.json'), json({ version: SLEEP_ACCEL_SCHEMA_VERSION, features }));
  if (opts.transforms.length > 0) await writeFile(join(tmpDir, 'transforms.json'), json(transformsToJson(opts.transforms)));
  await writeFile(join(tmpDir, 'metadata.json'), json(metadata));
  if (await exists(modelDir)) await rm(modelDir, { recursive: true }); // only reachable with --force
  await rename(tmpDir, modelDir);
  log(`wrote ${modelDir}`);
  return { modelDir, tuning, baseline, fit, metadata };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
