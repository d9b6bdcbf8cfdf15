// The night scoring kernel: pipeline inputs (windows by epoch index, night z-scores), the
// class_share decoder, and scoreNight, checked against naive references written here; and the
// property that a night uploaded in parts scores exactly like the night uploaded at once.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../src/models/pipeline.js';
import { LOG_FLOOR } from '../../src/models/transforms.js';
import { applyClassShare } from '../../src/scoring/night-decoder.js';
import { compilePipeline, computeInputs, type CompiledPipeline } from '../../src/scoring/night-inputs.js';
import { scoreNight, type NightModel } from '../../src/scoring/night-scorer.js';
import { CONTEXT_PIPELINE } from '../helpers/context-model.js';
import { seededRandom } from '../helpers/synthetic-night.js';

const FEATURES = ['activity_count', 'hr_variability', 'circadian_cosine', 'hours_since_start', 'clock_proxy'] as const;
const LABELS = ['W', 'NREM', 'REM'] as const;
const NC = LABELS.length;

type Json = Record<string, unknown>;
type InputJson = string | { name: string; op: string; of: string; half_width?: number; min_sd?: number };

const compile = (json: unknown): CompiledPipeline => compilePipeline(parsePipeline(json, FEATURES, LABELS), FEATURES);

/** Raw rows → row-major Float32Array, as the decoders hand them over. */
const pack = (rows: readonly (readonly number[])[]): Float32Array => Float32Array.from(rows.flat());

/** Column `k` of a row-major count × n matrix. */
const column = (m: Float64Array, n: number, k: number): number[] => Array.from({ length: m.length / n }, (_, i) => m[i * n + k]!);

/** A night with only `activity_count` set (the other features 0). */
const oneFeature = (values: readonly number[]): Float32Array => pack(values.map((v) => [v, 0, 0, 0, 0]));

function expectClose(got: readonly number[], want: readonly number[], tol = 1e-12): void {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    if (Math.abs(g - want[i]!) > tol * Math.max(1, Math.abs(want[i]!))) {
      throw new Error(`value ${i}: got ${g}, expected ${want[i]} (all: ${JSON.stringify(got)} vs ${JSON.stringify(want)})`);
    }
  });
}

// ---------------------------------------------------------------- naive references

/** Mean or population sd over every epoch whose index is within ±k of each epoch's (all pairs). */
function naiveRolling(values: readonly number[], indices: readonly number[], k: number, sd: boolean): number[] {
  return values.map((_, i) => {
    const window: number[] = [];
    for (let j = 0; j < values.length; j++) if (Math.abs(indices[i]! - indices[j]!) <= k) window.push(values[j]!);
    const mean = window.reduce((s, v) => s + v, 0) / window.length;
    if (!sd) return mean;
    return Math.sqrt(window.reduce((s, v) => s + (v - mean) ** 2, 0) / window.length);
  });
}

function naiveZscore(values: readonly number[], minSd: number): number[] {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return values.map((v) => (v - mean) / Math.max(sd, minSd));
}

/** The whole pipeline, naively: transforms, then each input by name; returns rows of inputs. */
function naiveInputs(json: Json, indices: readonly number[], rows: readonly (readonly number[])[]): number[][] {
  const cols = new Map<string, number[]>(FEATURES.map((f, j) => [f, rows.map((r) => Math.fround(r[j]!))]));
  for (const t of (json['transforms'] ?? []) as { feature: string; op: string; offset?: number; min?: number; max?: number }[]) {
    const f = (v: number) =>
      t.op === 'log1p' ? Math.log1p(Math.max(v, 0)) : t.op === 'log' ? Math.log(Math.max(v + (t.offset ?? 0), LOG_FLOOR)) : Math.min(Math.max(v, t.min ?? -Infinity), t.max ?? Infinity);
    cols.set(t.feature, cols.get(t.feature)!.map(f));
  }
  const inputs: number[][] = [];
  for (const input of json['inputs'] as InputJson[]) {
    let col: number[];
    if (typeof input === 'string') col = cols.get(input)!;
    else if (input.op === 'recording_zscore') col = naiveZscore(cols.get(input.of)!, input.min_sd!);
    else col = naiveRolling(cols.get(input.of)!, indices, input.half_width!, input.op === 'rolling_sd');
    cols.set(typeof input === 'string' ? input : input.name, col);
    inputs.push(col);
  }
  return indices.map((_, i) => inputs.map((c) => c[i]!));
}

function naiveSoftmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const argmax = (row: ArrayLike<number>, o = 0, n = row.length): number => {
  let best = 0;
  for (let c = 1; c < n; c++) if (row[o + c]! > row[o + best]!) best = c;
  return best;
};

// ---------------------------------------------------------------- random nights

/** Strictly increasing indices from `start` with gaps of 1..maxGap. */
function gappedIndices(rand: () => number, count: number, start = 0, maxGap = 4): number[] {
  const out: number[] = [];
  let idx = start;
  for (let i = 0; i < count; i++) {
    out.push(idx);
    idx += 1 + Math.floor(rand() * maxGap);
  }
  return out;
}

function randomRows(rand: () => number, count: number): number[][] {
  return Array.from({ length: count }, () => [rand() < 0.3 ? 0 : rand() * 60, 0.05 + rand(), rand() * 2 - 1, rand() * 9, rand() - 0.5].map(Math.fround));
}

function randomWeights(rand: () => number, nInputs: number): { weights: Float32Array; bias: Float32Array } {
  return {
    weights: Float32Array.from({ length: nInputs * NC }, () => rand() * 2 - 1),
    bias: Float32Array.from({ length: NC }, () => rand() - 0.5),
  };
}

function nightModel(json: Json, weights: Float32Array, bias: Float32Array): NightModel {
  const spec = parsePipeline(json, FEATURES, LABELS);
  return { labels: LABELS, pipeline: compilePipeline(spec, FEATURES), weights, bias, decoder: spec.decoder };
}

/** Uint32 views, so equality is bit for bit (and NaN/-0 cannot hide). */
const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

// ================================================================ computeInputs

describe('computeInputs: rolling windows by epoch index', () => {
  const ROLLING = {
    inputs: [
      { name: 'mean', op: 'rolling_mean', of: 'activity_count', half_width: 2 },
      { name: 'sd', op: 'rolling_sd', of: 'activity_count', half_width: 2 },
    ],
  };

  it('leaves epochs missing from the window out (never zero-fills), checked by hand', () => {
    const indices = [0, 1, 2, 10, 11, 20];
    const out = computeInputs(compile(ROLLING), indices, oneFeature([1, 2, 3, 4, 5, 6]), 6);
    // Index 2: window [0, 4] holds indices 0, 1, 2 only → mean 2 (zero-filled would be 6/5 = 1.2).
    // Index 10: window [8, 12] holds 10 and 11 → mean 4.5, sd 0.5 (by position it would be 2..6 → 4).
    // Index 20: alone in [18, 22] → mean 6, sd 0.
    expectClose(column(out, 2, 0), [2, 2, 2, 4.5, 4.5, 6]);
    expectClose(column(out, 2, 1), [Math.sqrt(2 / 3), Math.sqrt(2 / 3), Math.sqrt(2 / 3), 0.5, 0.5, 0]);
  });

  it('uses partial windows at the night’s edges (divides by the epochs present)', () => {
    const values = [4, 8, 1, 7, 3, 9, 2];
    const out = computeInputs(compile(ROLLING), [0, 1, 2, 3, 4, 5, 6], oneFeature(values), 7);
    expect(out[0]).toBe((4 + 8 + 1) / 3);
    expect(out[2]).toBe((4 + 8 + 1 + 7) / 4);
    expect(out[6 * 2]).toBe((3 + 9 + 2) / 3);
    expectClose(column(out, 2, 0), naiveRolling(values, [0, 1, 2, 3, 4, 5, 6], 2, false));
    expectClose(column(out, 2, 1), naiveRolling(values, [0, 1, 2, 3, 4, 5, 6], 2, true));
  });

  it('matches the all-pairs reference on random gapped nights, for several half-widths', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rand = seededRandom(seed);
      const count = 1 + Math.floor(rand() * 300);
      const indices = gappedIndices(rand, count, Math.floor(rand() * 5000), 1 + Math.floor(rand() * 8));
      const values = Array.from({ length: count }, () => Math.fround(rand() * 100 - 20));
      for (const k of [1, 3, 17, 120]) {
        const pipeline = compile({
          inputs: [
            { name: 'm', op: 'rolling_mean', of: 'activity_count', half_width: k },
            { name: 's', op: 'rolling_sd', of: 'activity_count', half_width: k },
          ],
        });
        const out = computeInputs(pipeline, indices, oneFeature(values), count);
        expectClose(column(out, 2, 0), naiveRolling(values, indices, k, false), 1e-12);
        expectClose(column(out, 2, 1), naiveRolling(values, indices, k, true), 1e-9);
      }
    }
  });

  it('a single-epoch night: mean is the value, sd 0, z-score 0 and finite (min_sd floor)', () => {
    const pipeline = compile({
      inputs: [
        'activity_count',
        { name: 'm', op: 'rolling_mean', of: 'activity_count', half_width: 10 },
        { name: 's', op: 'rolling_sd', of: 'activity_count', half_width: 10 },
        { name: 'z', op: 'recording_zscore', of: 'activity_count', min_sd: 1e-6 },
        { name: 'sz', op: 'recording_zscore', of: 's', min_sd: 1e-6 },
      ],
    });
    const out = computeInputs(pipeline, [4321], oneFeature([7.25]), 1);
    expect(Array.from(out)).toEqual([7.25, 7.25, 0, 0, 0]);
  });

  it('an empty night gives no rows', () => {
    expect(computeInputs(compile(CONTEXT_PIPELINE), [], new Float32Array(0), 0)).toHaveLength(0);
  });
});

describe('computeInputs: recording z-score, chaining and transforms', () => {
  it('standardises over the night: mean 0 and population sd 1 when the sd exceeds min_sd', () => {
    const rand = seededRandom(7);
    const values = Array.from({ length: 200 }, () => Math.fround(rand() * 40));
    const out = computeInputs(compile({ inputs: [{ name: 'z', op: 'recording_zscore', of: 'activity_count', min_sd: 0.001 }] }), gappedIndices(rand, 200), oneFeature(values), 200);
    const z = Array.from(out);
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
    expect(Math.abs(mean)).toBeLessThan(1e-12);
    expect(sd).toBeCloseTo(1, 12);
    expectClose(z, naiveZscore(values, 0.001));
  });

  it('a constant feature gets z = 0', () => {
    const pipeline = compile({ inputs: [{ name: 'z', op: 'recording_zscore', of: 'activity_count', min_sd: 0.001 }] });
    // Exactly 0 for a value whose sum is exact...
    expect(Array.from(computeInputs(pipeline, [0, 1, 5, 9], oneFeature([2.5, 2.5, 2.5, 2.5]), 4))).toEqual([0, 0, 0, 0]);
    // ...and 0 up to the mean's rounding otherwise (0.1 · 7 / 7 is not exactly 0.1 in floating point).
    const z = Array.from(computeInputs(pipeline, [0, 1, 2, 3, 4, 5, 6], oneFeature(Array(7).fill(0.1)), 7));
    for (const v of z) expect(Math.abs(v)).toBeLessThan(1e-9);
  });

  it('floors the deviation at min_sd: a small spread is divided by min_sd, not by itself', () => {
    const pipeline = compile({ inputs: [{ name: 'z', op: 'recording_zscore', of: 'activity_count', min_sd: 10 }] });
    // Values 1 and 3: mean 2, population sd 1 < 10, so z = ±0.1.
    expectClose(Array.from(computeInputs(pipeline, [0, 1], oneFeature([1, 3]), 2)), [-0.1, 0.1]);
  });

  it('chains inputs: a z-score of a rolling mean, and a rolling sd of that z-score', () => {
    const json = {
      inputs: [
        { name: 'm', op: 'rolling_mean', of: 'activity_count', half_width: 3 },
        { name: 'mz', op: 'recording_zscore', of: 'm', min_sd: 0.01 },
        { name: 'mzs', op: 'rolling_sd', of: 'mz', half_width: 2 },
      ],
    };
    const rand = seededRandom(11);
    const indices = gappedIndices(rand, 80, 100, 5);
    const values = Array.from({ length: 80 }, () => Math.fround(rand() * 30));
    const out = computeInputs(compile(json), indices, oneFeature(values), 80);
    const m = naiveRolling(values, indices, 3, false);
    const mz = naiveZscore(m, 0.01);
    expectClose(column(out, 3, 0), m);
    expectClose(column(out, 3, 1), mz, 1e-10);
    expectClose(column(out, 3, 2), naiveRolling(mz, indices, 2, true), 1e-9);
  });

  it('applies the transforms before every input (features and derived inputs alike)', () => {
    const json = {
      transforms: [
        { feature: 'activity_count', op: 'log1p' },
        { feature: 'hr_variability', op: 'clip', min: 0.2, max: 0.8 },
        { feature: 'hr_variability', op: 'log', offset: 0.01 },
      ],
      inputs: [
        'activity_count',
        'hr_variability',
        'clock_proxy',
        { name: 'am', op: 'rolling_mean', of: 'activity_count', half_width: 2 },
        { name: 'hz', op: 'recording_zscore', of: 'hr_variability', min_sd: 0.001 },
      ],
    };
    const rand = seededRandom(3);
    const indices = gappedIndices(rand, 50);
    const rows = randomRows(rand, 50);
    rows[0]![0] = -5; // log1p floors negative counts at 0
    const out = computeInputs(compile(json), indices, pack(rows), 50);
    const want = naiveInputs(json, indices, rows);
    for (let k = 0; k < 5; k++) expectClose(column(out, 5, k), want.map((r) => r[k]!), 1e-10);
    expect(out[0]).toBe(0);
    expect(out[5]).toBe(Math.log1p(Math.fround(rows[1]![0]!)));
  });

  it('rejects unsorted or repeated indices, and too few raw values', () => {
    const pipeline = compile(CONTEXT_PIPELINE);
    const raw = oneFeature([1, 2, 3]);
    expect(() => computeInputs(pipeline, [0, 2, 1], raw, 3)).toThrow(/strictly increasing/);
    expect(() => computeInputs(pipeline, [0, 1, 1], raw, 3)).toThrow(/strictly increasing/);
    expect(() => computeInputs(pipeline, [5, 5], raw, 2)).toThrow(/strictly increasing/);
    expect(() => computeInputs(pipeline, [0, 1, 2, 3], raw, 4)).toThrow(/raw features hold 15 values, expected 4\*5/);
  });
});

// ================================================================ scoreNight

describe('scoreNight', () => {
  const rand = seededRandom(2024);
  const COUNT = 150;
  const indices = gappedIndices(rand, COUNT, 300, 3);
  const rows = randomRows(rand, COUNT);
  const { weights, bias } = randomWeights(rand, CONTEXT_PIPELINE.inputs.length);
  const model = nightModel(CONTEXT_PIPELINE, weights, bias);

  it('gives bit-identical outputs for the night in shuffled order (outputs follow input order) and sorted', () => {
    const sorted = scoreNight(model, indices, pack(rows), COUNT);
    for (let seed = 1; seed <= 5; seed++) {
      const r = seededRandom(seed);
      const perm = Array.from({ length: COUNT }, (_, k) => k).sort(() => r() - 0.5);
      const shuffled = scoreNight(
        model,
        perm.map((k) => indices[k]!),
        pack(perm.map((k) => rows[k]!)),
        COUNT,
      );
      const wantProbs = new Float32Array(COUNT * NC);
      perm.forEach((k, p) => wantProbs.set(sorted.probabilities.subarray(k * NC, (k + 1) * NC), p * NC));
      expect(bits(shuffled.probabilities)).toEqual(bits(wantProbs));
      expect(Array.from(shuffled.classes)).toEqual(perm.map((k) => sorted.classes[k]!));
    }
    // Reversed, and given as Float64 indices: still the same.
    const rev = scoreNight(model, Float64Array.from(indices).reverse(), pack([...rows].reverse()), COUNT);
    expect(Array.from(rev.classes).reverse()).toEqual(Array.from(sorted.classes));
  });

  it('rejects a repeated index, sorted or not', () => {
    const raw = pack(rows.slice(0, 3));
    expect(() => scoreNight(model, [3, 1, 3], raw, 3)).toThrow(/epoch index 3 appears twice/);
    expect(() => scoreNight(model, [1, 1, 2], raw, 3)).toThrow(/epoch index 1 appears twice/);
  });

  it('probabilities sum to 1 and the class is their argmax (with the decoder on)', () => {
    const out = scoreNight(model, indices, pack(rows), COUNT);
    const seen = new Set<number>();
    for (let i = 0; i < COUNT; i++) {
      const p = out.probabilities.subarray(i * NC, (i + 1) * NC);
      expect(Math.abs(p.reduce((s, v) => s + v, 0) - 1)).toBeLessThan(1e-6);
      for (const v of p) expect(v >= 0 && v <= 1).toBe(true);
      expect(out.classes[i]).toBe(argmax(p));
      seen.add(out.classes[i]!);
    }
    expect(seen.size).toBeGreaterThan(1); // the night is not trivially one class
  });

  it('without a decoder equals softmax(x·W + b), with x the naive pipeline inputs', () => {
    const json = { ...CONTEXT_PIPELINE, decoder: null };
    const plain = nightModel(json, weights, bias);
    expect(plain.decoder).toBeNull();
    const out = scoreNight(plain, indices, pack(rows), COUNT);
    const x = naiveInputs(json, indices, rows);
    for (let i = 0; i < COUNT; i++) {
      const logits = Array.from({ length: NC }, (_, c) => bias[c]! + x[i]!.reduce((s, v, j) => s + v * weights[j * NC + c]!, 0));
      const want = naiveSoftmax(logits);
      expectClose(Array.from(out.probabilities.subarray(i * NC, (i + 1) * NC)), want, 1e-6);
      expect(out.classes[i]).toBe(argmax(logits));
    }
  });

  it('with the decoder: the classes are those of the logits with the REM column shifted by one constant', () => {
    const plain = scoreNight(nightModel({ ...CONTEXT_PIPELINE, decoder: null }, weights, bias), indices, pack(rows), COUNT);
    const decoded = scoreNight(model, indices, pack(rows), COUNT);
    // Only REM's logit moves, so W vs NREM never changes where neither is REM after decoding.
    for (let i = 0; i < COUNT; i++) {
      if (plain.classes[i] !== 2 && decoded.classes[i] !== 2) expect(decoded.classes[i]).toBe(plain.classes[i]);
      // Ratio W/NREM is unchanged by a shift of the REM logit alone.
      const [pw, pn] = [plain.probabilities[i * NC]!, plain.probabilities[i * NC + 1]!];
      const [dw, dn] = [decoded.probabilities[i * NC]!, decoded.probabilities[i * NC + 1]!];
      if (pn > 1e-3 && dn > 1e-3) expect(dw / dn).toBeCloseTo(pw / pn, 4);
    }
    // The decoder did move something on this night.
    expect(bits(decoded.probabilities)).not.toEqual(bits(plain.probabilities));
  });

  // scoreNight copies `raw` into a sorted buffer, so it must check the length itself (a short
  // buffer would otherwise read as NaN features and come out as W).
  it('rejects raw features shorter than count × nFeatures', () => {
    expect(() => scoreNight(model, indices.slice(0, 3), pack(rows.slice(0, 2)), 3)).toThrow(/raw features/);
  });

  it('an empty night scores to nothing', () => {
    const out = scoreNight(model, [], new Float32Array(0), 0);
    expect(out.probabilities).toHaveLength(0);
    expect(out.classes).toHaveLength(0);
  });
});

// ================================================================ applyClassShare

describe('applyClassShare', () => {
  const WAKE = 0;
  const TARGET = 2;
  const decoder = (shareOfSleep: number, blend: number) => ({ op: 'class_share' as const, className: 'REM', shareOfSleep, blend });

  function randomLogits(seed: number, count: number): Float64Array {
    const r = seededRandom(seed);
    return Float64Array.from({ length: count * NC }, () => r() * 4 - 2);
  }

  const classesOf = (logits: Float64Array, count: number) => Array.from({ length: count }, (_, i) => argmax(logits, i * NC, NC));

  /** round((blend·share + (1 − blend)·own share) · predicted sleep epochs), from the logits before decoding. */
  function expectedTarget(logits: Float64Array, count: number, share: number, blend: number): number {
    const cls = classesOf(logits, count);
    const sleep = cls.filter((c) => c !== WAKE).length;
    const own = cls.filter((c) => c === TARGET).length;
    return Math.round((blend * share + (1 - blend) * (sleep > 0 ? own / sleep : 0)) * sleep);
  }

  it('gives the target class to round((blend·share + (1−blend)·own share)·sleep epochs) epochs, those of largest margin', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const r = seededRandom(1000 + seed);
      const count = 1 + Math.floor(r() * 400);
      const share = r();
      const blend = r();
      const logits = randomLogits(seed, count);
      const before = Float64Array.from(logits);
      const want = expectedTarget(before, count, share, blend);
      applyClassShare(logits, count, NC, WAKE, TARGET, decoder(share, blend));
      const after = classesOf(logits, count);
      expect(after.filter((c) => c === TARGET).length).toBe(want);
      // The epochs that take it are those with the largest margin for it.
      const margin = (i: number) => before[i * NC + TARGET]! - Math.max(before[i * NC]!, before[i * NC + 1]!);
      const byMargin = Array.from({ length: count }, (_, i) => i).sort((a, b) => margin(b) - margin(a));
      expect(new Set(byMargin.slice(0, want))).toEqual(new Set(after.flatMap((c, i) => (c === TARGET ? [i] : []))));
    }
  });

  it('adds one constant to the target column only, and returns it', () => {
    const count = 250;
    const logits = randomLogits(5, count);
    const before = Float64Array.from(logits);
    const offset = applyClassShare(logits, count, NC, WAKE, TARGET, decoder(0.4, 0.8));
    expect(Number.isFinite(offset)).toBe(true);
    expect(offset).not.toBe(0);
    for (let i = 0; i < count; i++) {
      for (let c = 0; c < NC; c++) {
        const o = i * NC + c;
        expect(logits[o]).toBe(c === TARGET ? before[o]! + offset : before[o]);
      }
    }
  });

  it('blend 0 keeps every epoch’s class (the model’s own share)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const count = 50 + seed * 7;
      const logits = randomLogits(seed, count);
      const before = classesOf(logits, count);
      applyClassShare(logits, count, NC, WAKE, TARGET, decoder(seededRandom(seed)(), 0));
      expect(classesOf(logits, count)).toEqual(before);
    }
  });

  // blend 0 (or a night already at its target share) must not move the logits at all, so such a
  // night stores exactly the probabilities of the model without a decoder.
  it('blend 0 leaves the logits, hence the stored probabilities, unchanged', () => {
    const count = 200;
    const logits = randomLogits(9, count);
    const before = Float64Array.from(logits);
    const offset = applyClassShare(logits, count, NC, WAKE, TARGET, decoder(0.3, 0));
    expect(offset).toBe(0);
    expect(Array.from(logits)).toEqual(Array.from(before));
  });

  it('target 0: share 0 at blend 1, and a night of only wake, give no epoch the class', () => {
    const count = 120;
    const logits = randomLogits(21, count);
    expect(classesOf(logits, count).filter((c) => c === TARGET).length).toBeGreaterThan(0);
    const offset = applyClassShare(logits, count, NC, WAKE, TARGET, decoder(0, 1));
    expect(classesOf(logits, count).filter((c) => c === TARGET)).toHaveLength(0);
    expect(offset).toBeLessThan(0);

    // All wake: no predicted sleep, so the target is 0 whatever the share.
    const wake = Float64Array.from({ length: 30 * NC }, (_, o) => (o % NC === WAKE ? 5 : o % NC === TARGET ? 4 : 0));
    applyClassShare(wake, 30, NC, WAKE, TARGET, decoder(1, 1));
    expect(classesOf(wake, 30).every((c) => c === WAKE)).toBe(true);
  });

  it('target = every epoch: a night of only sleep with share 1 at blend 1 takes the class everywhere', () => {
    const count = 90;
    const r = seededRandom(77);
    // No epoch is wake: W's logit is always the lowest.
    const logits = Float64Array.from({ length: count * NC }, (_, o) => (o % NC === WAKE ? -10 : r() * 4 - 2));
    const before = Float64Array.from(logits);
    const offset = applyClassShare(logits, count, NC, WAKE, TARGET, decoder(1, 1));
    expect(classesOf(logits, count).every((c) => c === TARGET)).toBe(true);
    // The smallest margin ends up at exactly +1.
    const margins = Array.from({ length: count }, (_, i) => before[i * NC + TARGET]! - Math.max(before[i * NC]!, before[i * NC + 1]!));
    expect(offset).toBeCloseTo(1 - Math.min(...margins), 12);
  });

  it('does nothing on an empty night', () => {
    const logits = Float64Array.of(1, 2, 3);
    expect(applyClassShare(logits, 0, NC, WAKE, TARGET, decoder(0.5, 1))).toBe(0);
    expect(Array.from(logits)).toEqual([1, 2, 3]);
  });
});

// ================================================================ parts vs the night at once

describe('a night uploaded in parts scores like the night uploaded at once (property-based)', () => {
  const f32 = (min: number, max: number) => fc.float({ min: Math.fround(min), max: Math.fround(max), noNaN: true });
  const epoch = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.tuple(f32(-5, 500), f32(-0.2, 2), f32(-1, 1), f32(0, 12), f32(-0.5, 0.5)));
  const night = fc.record({
    start: fc.integer({ min: 0, max: 100_000 }),
    epochs: fc.array(epoch, { minLength: 1, maxLength: 160 }),
  });
  const modelArb = fc.record({
    weights: fc.array(f32(-1, 1), { minLength: CONTEXT_PIPELINE.inputs.length * NC, maxLength: CONTEXT_PIPELINE.inputs.length * NC }),
    bias: fc.array(f32(-2, 2), { minLength: NC, maxLength: NC }),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
    blend: fc.double({ min: 0, max: 1, noNaN: true }),
  });

  function build(n: { start: number; epochs: [number, number[]][] }) {
    const indices: number[] = [];
    let idx = n.start;
    for (const [gap] of n.epochs) {
      indices.push(idx);
      idx += gap;
    }
    return { indices, rows: n.epochs.map(([, f]) => f) };
  }

  function modelFrom(m: { weights: number[]; bias: number[]; share: number; blend: number }): NightModel {
    const json = { ...CONTEXT_PIPELINE, decoder: { op: 'class_share', class: 'REM', share_of_sleep: m.share, blend: m.blend } };
    return nightModel(json, Float32Array.from(m.weights), Float32Array.from(m.bias));
  }

  /** Scores the concatenation of `parts` (lists of positions in the sorted night) and checks it against `whole`. */
  function expectUnionLikeWhole(model: NightModel, indices: number[], rows: number[][], parts: number[][]): void {
    const whole = scoreNight(model, indices, pack(rows), indices.length);
    const order = parts.flat();
    expect([...order].sort((a, b) => a - b)).toEqual(indices.map((_, k) => k));
    const union = scoreNight(
      model,
      order.map((k) => indices[k]!),
      pack(order.map((k) => rows[k]!)),
      order.length,
    );
    const want = new Float32Array(order.length * NC);
    order.forEach((k, p) => want.set(whole.probabilities.subarray(k * NC, (k + 1) * NC), p * NC));
    expect(bits(union.probabilities)).toEqual(bits(want));
    expect(Array.from(union.classes)).toEqual(order.map((k) => whole.classes[k]!));
  }

  it('contiguous parts uploaded in any order', () => {
    fc.assert(
      fc.property(night, modelArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (n, m, cutFractions, keys) => {
        const { indices, rows } = build(n);
        const count = indices.length;
        const cuts = [...new Set(cutFractions.map((f) => Math.floor(f * count)))].filter((c) => c > 0 && c < count).sort((a, b) => a - b);
        const bounds = [0, ...cuts, count];
        const parts = bounds.slice(1).map((end, p) => Array.from({ length: end - bounds[p]! }, (_, k) => bounds[p]! + k));
        const ranked = parts.map((part) => ({ part, key: keys.next().value as number })).sort((a, b) => a.key - b.key);
        expectUnionLikeWhole(modelFrom(m), indices, rows, ranked.map((x) => x.part));
      }),
      { numRuns: 150 },
    );
  });

  it('any partition of the epochs, each part in any order', () => {
    fc.assert(
      fc.property(
        night.chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n.epochs.length, maxLength: n.epochs.length }),
            fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n.epochs.length, maxLength: n.epochs.length }),
          ),
        ),
        modelArb,
        ([n, partOf, keys], m) => {
          const { indices, rows } = build(n);
          const parts: number[][] = [[], [], [], [], []];
          // Within a part, positions in the order of their random keys.
          const positions = indices.map((_, k) => k).sort((a, b) => keys[a]! - keys[b]!);
          for (const k of positions) parts[partOf[k]!]!.push(k);
          expectUnionLikeWhole(modelFrom(m), indices, rows, parts.filter((p) => p.length > 0).reverse());
        },
      ),
      { numRuns: 150 },
    );
  });
});
