import { describe, expect, it } from 'vitest';
import { plainPipeline } from '../../src/models/pipeline.js';
import { nightLogits } from '../../src/scoring/night-scorer.js';
import { LABEL_SETS } from '../../src/training/label-sets.js';
import { fitNightModel } from '../../src/training/night-model-fit.js';
import { stackRows, nightRows } from '../../src/training/night-rows.js';
import { argmaxFrequencies, labelFrequencies, priorCalibration } from '../../src/training/prior-calibration.js';
import { trainingSetup } from '../../src/training/train-model.js';
import { SLEEP_ACCEL_FEATURES, type SubjectData } from '../../src/training/csv.js';
import { aasmCode } from '../../src/training/label-sets.js';

/** Deterministic LCG so synthetic data does not depend on Math.random. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('prior calibration', () => {
  it('moves argmax frequencies on the training rows to the label frequencies', () => {
    // Labels 10/60/30 %; the logits favour the majority class, as an unweighted fit does.
    const r = rng(7);
    const n = 2000;
    const y = Uint8Array.from({ length: n }, () => {
      const u = r();
      return u < 0.1 ? 0 : u < 0.7 ? 1 : 2;
    });
    const logits = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) logits[i * 3 + c] = (c === y[i] ? 1 : 0) + 1.5 * (r() - 0.5) + (c === 1 ? 0.6 : 0);
    }
    const target = labelFrequencies(y, 3);
    const before = argmaxFrequencies(logits, n, 3);
    const offsets = priorCalibration(logits, y, 3);
    const after = argmaxFrequencies(logits, n, 3, offsets);
    expect(offsets[0]).toBe(0);
    expect(before[1]! - target[1]!).toBeGreaterThan(0.1);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(after[c]! - target[c]!)).toBeLessThan(Math.abs(before[c]! - target[c]!));
      expect(Math.abs(after[c]! - target[c]!)).toBeLessThan(0.01);
    }
  });

  it('is folded into the float32 bias of the fitted night model, and only when asked for', () => {
    const r = rng(3);
    const subjects: SubjectData[] = [0, 1, 2].map((s) => {
      const n = 120;
      const features = new Float32Array(n * 5);
      const stages = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const cls = i % 10 === 0 ? 0 : i % 4 === 0 ? 2 : 1;
        stages[i] = [aasmCode('W'), aasmCode('N2'), aasmCode('R')][cls]!;
        features[i * 5] = [20, 2, 4][cls]! + 6 * r();
        for (let j = 1; j < 5; j++) features[i * 5 + j] = r();
      }
      return { subject: `s${s}`, nEpochs: n, epochIndex: Int32Array.from({ length: n }, (_, i) => i), features, stages };
    });
    const template = { spec: plainPipeline([...SLEEP_ACCEL_FEATURES], []), shareFromTraining: false };
    const plain = trainingSetup(LABEL_SETS.wnr, template, false);
    const rows = stackRows(subjects.map((s) => nightRows(s, plain.compiled, LABEL_SETS.wnr)));
    const uncal = fitNightModel(rows, plain, { l2: 0.01, classWeight: 'none' });
    const cal = fitNightModel(rows, trainingSetup(LABEL_SETS.wnr, template, true), { l2: 0.01, classWeight: 'none' });
    expect(uncal.calibration).toBeNull();
    expect(Array.from(cal.model.weights)).toEqual(Array.from(uncal.model.weights));
    const c = cal.calibration!;
    expect(Array.from(cal.model.bias)).toEqual(Array.from(Float32Array.from(cal.fit.bias, (b, k) => b + c.offsets[k]!)));
    const served = argmaxFrequencies(nightLogits(cal.model, rows.x, rows.n), rows.n, 3);
    expect(Array.from(served)).toEqual(c.argmaxFrequenciesAfter);
    const gap = (f: readonly number[]) => f.reduce((s, v, k) => s + Math.abs(v - c.labelFrequencies[k]!), 0);
    expect(gap(c.argmaxFrequenciesAfter)).toBeLessThanOrEqual(gap(c.argmaxFrequenciesBefore));
  });
});
