import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainPipeline } from '../../src/models/pipeline.js';
import { parseTransformShorthand } from '../../src/models/transforms.js';
import { assignFolds, crossValidate } from '../../src/training/cross-validation.js';
import { cvReport } from '../../src/training/cv-report.js';
import type { SubjectData } from '../../src/training/csv.js';
import { loadSleepAccelDir, parseSleepAccelCsv, SLEEP_ACCEL_FEATURES } from '../../src/training/csv.js';
import { aasmCode, CANONICAL_CLASSES, LABEL_SETS, labelMapJson, mapStages } from '../../src/training/label-sets.js';
import {
  computeClassWeights,
  fitLogisticRegression,
  foldStandardisation,
  linearLogits,
} from '../../src/training/logistic-regression.js';
import { cvData, trainingSetup } from '../../src/training/train-model.js';

/** Deterministic LCG so synthetic data does not depend on Math.random. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** k Gaussian-ish blobs in 2-d, centres far apart relative to spread. */
function blobs(n: number, k: number, spread: number, seed: number): { x: Float64Array; y: Uint8Array } {
  const r = rng(seed);
  const x = new Float64Array(n * 2);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    y[i] = c;
    x[i * 2] = 10 * Math.cos((2 * Math.PI * c) / k) + spread * (r() - 0.5) + 100; // offset: standardisation matters
    x[i * 2 + 1] = 10 * Math.sin((2 * Math.PI * c) / k) + spread * (r() - 0.5);
  }
  return { x, y };
}

function argmaxRows(logits: Float64Array, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length / k; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (logits[i * k + c]! > logits[i * k + best]!) best = c;
    out.push(best);
  }
  return out;
}

describe('logistic regression', () => {
  it('fits a separable 3-class problem perfectly and converges', () => {
    const { x, y } = blobs(300, 3, 4, 1);
    const fit = fitLogisticRegression(x, y, 2, 3, { l2: 1e-3, classWeight: 'none' });
    expect(fit.converged).toBe(true);
    expect(argmaxRows(linearLogits(x, 300, fit.weights, fit.bias), 3)).toEqual(Array.from(y));
  });

  it('satisfies the unpenalised-bias optimality condition: mean predicted probability = class frequency', () => {
    const { x, y } = blobs(400, 3, 30, 2); // heavily overlapping classes
    y[0] = 1; // make class frequencies unequal
    y[3] = 1;
    const fit = fitLogisticRegression(x, y, 2, 3, { l2: 0.1, classWeight: 'none' });
    const logits = linearLogits(x, 400, fit.weights, fit.bias);
    const meanP = [0, 0, 0];
    for (let i = 0; i < 400; i++) {
      const row = [0, 1, 2].map((c) => logits[i * 3 + c]!);
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e[0]! + e[1]! + e[2]!;
      e.forEach((v, c) => (meanP[c]! += v / s / 400));
    }
    const freq = [0, 1, 2].map((c) => y.filter((v) => v === c).length / 400);
    meanP.forEach((p, c) => expect(p).toBeCloseTo(freq[c]!, 7));
  });

  it('folding the standardisation gives the same logits as the unfolded model', () => {
    const r = rng(3);
    const nF = 4;
    const nC = 3;
    const n = 50;
    const v = Float64Array.from({ length: nF * nC }, () => r() * 4 - 2);
    const a = Float64Array.from({ length: nC }, () => r() - 0.5);
    const mean = Float64Array.from({ length: nF }, () => r() * 100);
    const scale = Float64Array.from({ length: nF }, () => 0.1 + r() * 10);
    const x = Float64Array.from({ length: n * nF }, () => r() * 200);
    const z = x.map((val, i) => (val - mean[i % nF]!) / scale[i % nF]!);
    const folded = foldStandardisation(v, a, mean, scale, nC);
    const expected = linearLogits(z, n, v, a);
    const actual = linearLogits(x, n, folded.weights, folded.bias);
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 9);
  });

  it('balanced class weights are n / (k * count)', () => {
    const w = computeClassWeights(Uint8Array.from([0, 0, 0, 1, 2, 2]), 3, 'balanced');
    expect(Array.from(w)).toEqual([6 / 9, 6 / 3, 6 / 6]);
    expect(Array.from(computeClassWeights(Uint8Array.from([0, 1]), 2, 'none'))).toEqual([1, 1]);
  });

  it('rejects a class with no samples and is deterministic', () => {
    const { x, y } = blobs(60, 2, 20, 4);
    expect(() => fitLogisticRegression(x, y, 2, 3, { l2: 1e-3, classWeight: 'none' })).toThrow(/class 2 has no training samples/);
    const f1 = fitLogisticRegression(x, y, 2, 2, { l2: 1e-2, classWeight: 'balanced' });
    const f2 = fitLogisticRegression(x, y, 2, 2, { l2: 1e-2, classWeight: 'balanced' });
    expect(Array.from(f1.weights)).toEqual(Array.from(f2.weights));
  });
});

describe('label sets', () => {
  it('maps AASM stages onto each label set', () => {
    const codes = ['W', 'N1', 'N2', 'N3', 'R'].map(aasmCode);
    expect(Array.from(mapStages(codes, LABEL_SETS.wnr))).toEqual([0, 1, 1, 1, 2]);
    expect(Array.from(mapStages(codes, LABEL_SETS.ws))).toEqual([0, 1, 1, 1, 1]);
    expect(Array.from(mapStages(codes, LABEL_SETS.wldr))).toEqual([0, 1, 1, 2, 3]);
    expect(Array.from(mapStages(codes, LABEL_SETS.aasm))).toEqual([0, 1, 2, 3, 4]);
    expect(() => aasmCode('N4')).toThrow(/unknown stage/);
  });

  it('label maps use canonical names and start with W', () => {
    expect(labelMapJson(LABEL_SETS.wnr)).toEqual({ 0: 'W', 1: 'NREM', 2: 'REM' });
    expect(labelMapJson(LABEL_SETS.wldr)).toEqual({ 0: 'W', 1: 'LIGHT', 2: 'DEEP', 3: 'REM' });
    for (const set of Object.values(LABEL_SETS)) {
      expect(set.classes[0]).toBe('W');
      for (const c of set.classes) expect(CANONICAL_CLASSES).toContain(c);
    }
  });
});

describe('CSV loader', () => {
  const header = 'epoch_index,activity_count,hr_variability,circadian_cosine,hours_since_start,clock_proxy,stage';
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'noctis-csv-'));
    await writeFile(join(dir, 'b.csv'), `${header}\n0,1.5,0.3,-0.25,0,0,W\n2,0,0.2,-0.26,0.0167,0.004,N3\n`);
    await writeFile(join(dir, 'a.csv'), `${header}\r\n0,2,0.1,-0.25,0,0,R\r\n`);
    await writeFile(join(dir, 'notes.txt'), 'ignored');
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('loads subjects sorted by file name with float32 features (as stored) and stage codes', async () => {
    const subjects = await loadSleepAccelDir(dir);
    expect(subjects.map((s) => s.subject)).toEqual(['a', 'b']);
    const b = subjects[1]!;
    expect(b.nEpochs).toBe(2);
    expect(Array.from(b.epochIndex)).toEqual([0, 2]);
    expect(b.features).toBeInstanceOf(Float32Array);
    expect(Array.from(b.features)).toEqual([1.5, 0.3, -0.25, 0, 0, 0, 0.2, -0.26, 0.0167, 0.004].map(Math.fround));
    expect(Array.from(b.stages)).toEqual([aasmCode('W'), aasmCode('N3')]);
  });

  it('sorts rows by epoch index and rejects a repeated index', () => {
    const night = parseSleepAccelCsv(`${header}\n5,1,1,0,0,0,R\n2,2,2,0,0,0,W\n`, 's');
    expect(Array.from(night.epochIndex)).toEqual([2, 5]);
    expect(Array.from(night.features.subarray(0, 2))).toEqual([2, 2]);
    expect(Array.from(night.stages)).toEqual([aasmCode('W'), aasmCode('R')]);
    expect(() => parseSleepAccelCsv(`${header}\n1,1,1,0,0,0,R\n1,2,2,0,0,0,W\n`, 's')).toThrow(/epoch_index 1 appears twice/);
  });

  it('reports malformed input with subject and line', () => {
    expect(() => parseSleepAccelCsv('a,b\n', 's')).toThrow(/unexpected header/);
    expect(() => parseSleepAccelCsv(`${header}\n0,1,,0,0,0,W\n`, 's')).toThrow(/s:2: non-numeric hr_variability/);
    expect(() => parseSleepAccelCsv(`${header}\n0,1,2,0,0,0,X\n`, 's')).toThrow(/s:2: unknown stage "X"/);
  });
});

describe('cross-validation', () => {
  it('assigns whole subjects to folds deterministically by sorted id', () => {
    expect(assignFolds(['c', 'a', 'b', 'd'], 2)).toEqual([0, 0, 1, 1]);
    expect(assignFolds(['x', 'y', 'z'], 3)).toEqual([0, 1, 2]);
    expect(() => assignFolds(['a', 'a'], 2)).toThrow(/unique/);
  });

  it('scores held-out synthetic nights whole through the night scorer', () => {
    // Stage determined by activity bands; other features noise. Six subjects.
    const subjects: SubjectData[] = [];
    for (let s = 0; s < 6; s++) {
      const r = rng(10 + s);
      const n = 90;
      const features = new Float32Array(n * 5);
      const stages = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const cls = i % 3; // W, NREM, REM
        stages[i] = [aasmCode('W'), aasmCode('N2'), aasmCode('R')][cls]!;
        features[i * 5] = [50, 0, 5][cls]! * (0.8 + 0.4 * r());
        features[i * 5 + 1] = [1, 0.1, 0.5][cls]! * (0.9 + 0.2 * r());
        for (let j = 2; j < 5; j++) features[i * 5 + j] = r();
      }
      subjects.push({ subject: `s${s}`, nEpochs: n, epochIndex: Int32Array.from({ length: n }, (_, i) => i), features, stages });
    }
    const transforms = parseTransformShorthand('log1p:activity_count,log:hr_variability:0.01', [...SLEEP_ACCEL_FEATURES]);
    const setup = trainingSetup(LABEL_SETS.wnr, { spec: plainPipeline([...SLEEP_ACCEL_FEATURES], transforms), shareFromTraining: false }, false);
    const report = cvReport(crossValidate(cvData(subjects, setup), setup, { l2: 1e-3, classWeight: 'balanced' }, 3));
    expect(report.nFolds).toBe(3);
    expect(report.folds.flatMap((f) => f.subjects).sort()).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(report.pooled.total).toBe(540);
    expect(report.kappa.model.pooled).toBeGreaterThan(0.95);
    expect(report.kappa.model.subjectSd).not.toBeNull();
  });
});

describe('transform shorthand', () => {
  it('parses the CLI syntax into validated specs', () => {
    const f = [...SLEEP_ACCEL_FEATURES];
    expect(parseTransformShorthand('none', f)).toEqual([]);
    expect(parseTransformShorthand('log1p:activity_count,log:hr_variability:0.01,clip:clock_proxy::1', f)).toEqual([
      { feature: 'activity_count', op: 'log1p' },
      { feature: 'hr_variability', op: 'log', offset: 0.01 },
      { feature: 'clock_proxy', op: 'clip', max: 1 },
    ]);
    expect(() => parseTransformShorthand('sqrt:activity_count', f)).toThrow(/expected log1p/);
    expect(() => parseTransformShorthand('log1p:steps', f)).toThrow(/unknown feature "steps"/);
    expect(() => parseTransformShorthand('log:hr_variability:-1', f)).toThrow(/offset/);
  });
});

// Training on the real nights: test/real-data/training.test.ts.
