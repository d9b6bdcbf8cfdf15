import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  accuracy,
  addConfusion,
  classificationReport,
  cohenKappa,
  confusionMatrix,
  macroAverages,
  perClassMetrics,
} from '../../src/stats/classification.js';

describe('confusion matrix and metrics (hand-computed)', () => {
  // truth rows: A -> [3,1,0], B -> [0,1,1], C -> [1,0,3]; n = 10, trace = 7.
  const truth = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0];
  const pred = [0, 1, 0, 1, 2, 2, 2, 0, 2, 0];
  const cm = confusionMatrix(truth, pred, ['A', 'B', 'C']);

  it('counts truth in rows and prediction in columns', () => {
    expect(cm.counts).toEqual([
      [3, 1, 0],
      [0, 1, 1],
      [1, 0, 3],
    ]);
    expect(cm.total).toBe(10);
  });

  it('accuracy and kappa', () => {
    expect(accuracy(cm)).toBeCloseTo(0.7, 12);
    // p_e = (4*4 + 2*2 + 4*4) / 100 = 0.36; kappa = (0.7 - 0.36) / 0.64
    expect(cohenKappa(cm)).toBeCloseTo(0.53125, 12);
  });

  it('per-class and macro metrics', () => {
    const m = perClassMetrics(cm);
    expect(m.map((x) => [x.label, x.precision, x.recall, x.f1, x.support])).toEqual([
      ['A', 0.75, 0.75, 0.75, 4],
      ['B', 0.5, 0.5, 0.5, 2],
      ['C', 0.75, 0.75, 0.75, 4],
    ]);
    const macro = macroAverages(m);
    expect(macro.precision).toBeCloseTo(2 / 3, 12);
    expect(macro.recall).toBeCloseTo(2 / 3, 12);
    expect(macro.f1).toBeCloseTo(2 / 3, 12);
  });

  it('distinguishes precision from recall on an asymmetric case', () => {
    // X -> [2, 2], Y -> [0, 2]; p_o = 4/6, p_e = 16/36, kappa = 8/20.
    const c2 = confusionMatrix([0, 0, 0, 0, 1, 1], [0, 0, 1, 1, 1, 1], ['X', 'Y']);
    expect(cohenKappa(c2)).toBeCloseTo(0.4, 12);
    const [x, y] = perClassMetrics(c2);
    expect([x!.precision, x!.recall, x!.f1]).toEqual([1, 0.5, 2 / 3]);
    expect([y!.precision, y!.recall, y!.f1]).toEqual([0.5, 1, 2 / 3]);
  });

  it('kappa of systematic disagreement is negative', () => {
    expect(cohenKappa(confusionMatrix([0, 1], [1, 0], ['a', 'b']))).toBeCloseTo(-1, 12);
  });
});

describe('degenerate cases', () => {
  it('empty input: accuracy and kappa are null', () => {
    const cm = confusionMatrix([], [], ['W', 'SLEEP']);
    expect(accuracy(cm)).toBeNull();
    expect(cohenKappa(cm)).toBeNull();
    expect(macroAverages(perClassMetrics(cm))).toEqual({ precision: null, recall: null, f1: null });
  });

  it('expected agreement 1 (single class everywhere): kappa null, accuracy 1', () => {
    const cm = confusionMatrix([1, 1, 1], [1, 1, 1], ['W', 'SLEEP']);
    expect(accuracy(cm)).toBe(1);
    expect(cohenKappa(cm)).toBeNull();
  });

  it('undefined per-class values are null; f1 is 0 for a missed class with support', () => {
    // Class 1 has support but is never predicted; class 2 appears nowhere.
    const m = perClassMetrics(confusionMatrix([0, 1, 1], [0, 0, 0], ['a', 'b', 'c']));
    expect(m[1]).toEqual({ label: 'b', precision: null, recall: 0, f1: 0, support: 2 });
    expect(m[2]).toEqual({ label: 'c', precision: null, recall: null, f1: null, support: 0 });
    // Macro averages skip undefined entries: recall over a and b only.
    expect(macroAverages(m).recall).toBeCloseTo(0.5, 12);
  });

  it('rejects out-of-range indices and length mismatch', () => {
    expect(() => confusionMatrix([0, 2], [0, 1], ['a', 'b'])).toThrow(/truth\[1\]/);
    expect(() => confusionMatrix([0], [0, 1], ['a', 'b'])).toThrow(/items/);
    expect(() => confusionMatrix([0], [1.5], ['a', 'b'])).toThrow(/pred\[0\]/);
  });

  it('report is JSON-safe (no NaN)', () => {
    const r = classificationReport(confusionMatrix([0, 0], [0, 0], ['a', 'b']));
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(r.cohenKappa).toBeNull();
  });
});

const labelled = fc.integer({ min: 2, max: 6 }).chain((k) =>
  fc
    .array(fc.tuple(fc.integer({ min: 0, max: k - 1 }), fc.integer({ min: 0, max: k - 1 })), { minLength: 1, maxLength: 200 })
    .map((pairs) => ({ k, truth: pairs.map((p) => p[0]), pred: pairs.map((p) => p[1]) })),
);
const labelsFor = (k: number): string[] => Array.from({ length: k }, (_, i) => `c${i}`);

describe('metric properties', () => {
  it('kappa of perfect agreement is 1 whenever two or more classes occur', () => {
    fc.assert(
      fc.property(labelled, ({ k, truth }) => {
        const kappa = cohenKappa(confusionMatrix(truth, truth, labelsFor(k)));
        return new Set(truth).size >= 2 ? kappa === 1 : kappa === null;
      }),
    );
  });

  it('kappa is symmetric in swapping truth and prediction', () => {
    fc.assert(
      fc.property(labelled, ({ k, truth, pred }) => {
        const a = cohenKappa(confusionMatrix(truth, pred, labelsFor(k)));
        const b = cohenKappa(confusionMatrix(pred, truth, labelsFor(k)));
        return a === null ? b === null : b !== null && Math.abs(a - b) < 1e-12;
      }),
    );
  });

  it('kappa <= 1, accuracy in [0, 1], recall sums match support', () => {
    fc.assert(
      fc.property(labelled, ({ k, truth, pred }) => {
        const cm = confusionMatrix(truth, pred, labelsFor(k));
        const kappa = cohenKappa(cm);
        const acc = accuracy(cm)!;
        const support = perClassMetrics(cm).reduce((s, m) => s + m.support, 0);
        return (kappa === null || kappa <= 1 + 1e-12) && acc >= 0 && acc <= 1 && support === truth.length;
      }),
    );
  });

  it('adding fold matrices equals the matrix of the pooled data', () => {
    fc.assert(
      fc.property(labelled, fc.nat(), ({ k, truth, pred }, cut) => {
        const at = cut % (truth.length + 1);
        const labels = labelsFor(k);
        const pooled = addConfusion(
          confusionMatrix(truth.slice(0, at), pred.slice(0, at), labels),
          confusionMatrix(truth.slice(at), pred.slice(at), labels),
        );
        const whole = confusionMatrix(truth, pred, labels);
        return JSON.stringify(pooled) === JSON.stringify(whole);
      }),
    );
  });
});
