// applyTransformsInPlace is tuned for speed (column-wise over row blocks). These properties pin it and
// scoreBatch to the straightforward algorithm, bit for bit: every value gets the listed transform
// steps in order with Math.log/Math.log1p, and logits are summed bias-first in feature order. Special values (NaN, ±Infinity, ±0, subnormals, the log floor) are mixed in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CompiledTransforms, TransformSpec } from '../../src/models/transforms.js';
import { applyTransformsInPlace, compileTransforms, LOG_FLOOR, OP_LOG, OP_LOG1P } from '../../src/models/transforms.js';
import type { LinearModel } from '../../src/scoring/softmax.js';
import { scoreBatch } from '../../src/scoring/softmax.js';

/** The row-by-row transform loop applyTransformsInPlace used before it went column-wise. */
function referenceTransforms(t: CompiledTransforms, data: Float32Array | Float64Array, count: number, nF: number): void {
  for (let r = 0; r < count; r++) {
    for (let s = 0; s < t.nSteps; s++) {
      const k = r * nF + t.featureIndex[s]!;
      const x = data[k]!;
      if (t.opCode[s] === OP_LOG1P) data[k] = Math.log1p(Math.max(x, 0));
      else if (t.opCode[s] === OP_LOG) data[k] = Math.log(Math.max(x + t.paramA[s]!, LOG_FLOOR));
      else data[k] = Math.min(Math.max(x, t.paramA[s]!), t.paramB[s]!);
    }
  }
}

/** softmax(T(x)·W + b) exactly as the generic kernel computes it, one class at a time. */
function referenceScore(m: LinearModel, features: Float32Array, count: number): { probabilities: Float32Array; classes: Uint8Array } {
  const { nFeatures: nF, nClasses: nC } = m;
  const x = Float64Array.from(features.subarray(0, count * nF));
  if (m.transforms) referenceTransforms(m.transforms, x, count, nF);
  const probabilities = new Float32Array(count * nC);
  const classes = new Uint8Array(count);
  const logits = new Float64Array(nC);
  for (let r = 0; r < count; r++) {
    let max = -Infinity;
    let arg = 0;
    for (let c = 0; c < nC; c++) {
      let s = m.bias[c]!;
      for (let j = 0; j < nF; j++) s += x[r * nF + j]! * m.weights[j * nC + c]!;
      logits[c] = s;
      if (s > max) {
        max = s;
        arg = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < nC; c++) {
      logits[c] = Math.exp(logits[c]! - max);
      sum += logits[c]!;
    }
    for (let c = 0; c < nC; c++) probabilities[r * nC + c] = logits[c]! * (1 / sum);
    classes[r] = arg;
  }
  return { probabilities, classes };
}

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1, -1, 1e-12, -1e-12, 1e-45, -0.01, 0.01, 3.4e38];

/** Deterministic feature values from a seed (mulberry32): mostly ordinary, 5 % special. */
function fillFeatures(n: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rand();
    out[i] = u < 0.05 ? SPECIAL[Math.floor(rand() * SPECIAL.length)]! : (rand() - 0.3) * 10 ** (rand() * 6 - 2);
  }
  return out;
}

const stepArb = (nF: number): fc.Arbitrary<TransformSpec> =>
  fc.oneof(
    fc.record({ feature: fc.integer({ min: 0, max: nF - 1 }).map((j) => `f${j}`), op: fc.constant('log1p' as const) }),
    fc.record({
      feature: fc.integer({ min: 0, max: nF - 1 }).map((j) => `f${j}`),
      op: fc.constant('log' as const),
      offset: fc.constantFrom(0, 0.01, 0.5, 1),
    }),
    fc
      .record({
        feature: fc.integer({ min: 0, max: nF - 1 }).map((j) => `f${j}`),
        lo: fc.option(fc.integer({ min: -4, max: 2 })),
        width: fc.option(fc.integer({ min: 0, max: 6 })),
      })
      .map(({ feature, lo, width }): TransformSpec => {
        const spec: { feature: string; op: 'clip'; min?: number; max?: number } = { feature, op: 'clip' };
        if (lo !== null) spec.min = lo;
        if (width !== null) spec.max = (lo ?? -2) + width;
        return spec;
      }),
  );

// Counts up to 600 cross the 256-row blocks of both the kernel and applyTransformsInPlace.
const caseArb = fc
  .record({ nF: fc.integer({ min: 1, max: 8 }), nC: fc.integer({ min: 1, max: 6 }), count: fc.integer({ min: 0, max: 600 }) })
  .chain(({ nF, nC, count }) =>
    fc.record({
      nF: fc.constant(nF),
      nC: fc.constant(nC),
      count: fc.constant(count),
      weights: fc.array(fc.float({ min: -5, max: 5, noNaN: true }), { minLength: nF * nC, maxLength: nF * nC }),
      bias: fc.array(fc.float({ min: -5, max: 5, noNaN: true }), { minLength: nC, maxLength: nC }),
      steps: fc.array(stepArb(nF), { maxLength: 5 }),
      seed: fc.integer(),
    }),
  );

function modelOf(c: { nF: number; nC: number; weights: number[]; bias: number[]; steps: TransformSpec[] }): LinearModel {
  const names = Array.from({ length: c.nF }, (_, j) => `f${j}`);
  return {
    nFeatures: c.nF,
    nClasses: c.nC,
    weights: Float32Array.from(c.weights),
    bias: Float32Array.from(c.bias),
    transforms: c.steps.length > 0 ? compileTransforms(c.steps, names) : null,
  };
}

describe('the scoring kernel equals the straightforward algorithm bit for bit', () => {
  it('applyTransformsInPlace (Float64Array and Float32Array data)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const t = modelOf(c).transforms;
        if (t === null) return true;
        const raw = fillFeatures(c.count * c.nF, c.seed);
        for (const make of [(a: Float32Array) => Float64Array.from(a), (a: Float32Array) => Float32Array.from(a)]) {
          const got = make(raw);
          const want = make(raw);
          applyTransformsInPlace(t, got, c.count, c.nF);
          referenceTransforms(t, want, c.count, c.nF);
          expect(got).toEqual(want);
        }
        return true;
      }),
      { numRuns: 150 },
    );
  });

  it('scoreBatch, with and without transforms, for 1–6 classes', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const m = modelOf(c);
        const features = fillFeatures(c.count * c.nF, c.seed);
        const got = scoreBatch(m, features, c.count);
        const want = referenceScore(m, features, c.count);
        expect(got.probabilities).toEqual(want.probabilities);
        expect(got.classes).toEqual(want.classes);
        return true;
      }),
      { numRuns: 200 },
    );
  });
});
