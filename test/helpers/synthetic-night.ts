// Seeded synthetic nights: stage sequences from a Markov chain with plausible transitions (sleep
// onset, NREM–REM cycles, short awakenings) and per-stage feature distributions shaped like the
// sleep-accel features. Tests use them where they need a realistic night but not the real data.

import type { Night } from './sleep-data.js';

const STAGES = ['W', 'N1', 'N2', 'N3', 'R'] as const;

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Per-epoch transition probabilities (rows: from; columns W, N1, N2, N3, R). Deep sleep early,
// REM later, mostly handled by `remBias` below.
const TRANSITIONS: Record<(typeof STAGES)[number], readonly number[]> = {
  W: [0.9, 0.08, 0.02, 0, 0],
  N1: [0.05, 0.75, 0.19, 0, 0.01],
  N2: [0.01, 0.02, 0.93, 0.025, 0.015],
  N3: [0.005, 0.005, 0.04, 0.95, 0],
  R: [0.02, 0.02, 0.02, 0, 0.94],
};

/**
 * Six decimals, as the sleep-accel CSV rows and a device's JSON carry them: most are not float32
 * values, so the service's rounding to float32 is exercised as with real nights.
 */
const decimal = (v: number): number => Number(v.toFixed(6));

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

export interface SyntheticNightOptions {
  /** Drop every n-th epoch (n > 0), as short sensor dropouts do. */
  dropEvery?: number;
  /** Drop the epoch indices of each half-open range `[from, to)`, as a longer dropout does. */
  gaps?: ReadonlyArray<readonly [number, number]>;
}

/**
 * One night of `epochs` 30-second epochs (default 960 = 8 h), index 0 upwards, less the dropped
 * ones (`dropEvery`, `gaps`: the stage sequence runs on through them, so indices keep their time).
 * Deterministic for a seed.
 */
export function syntheticNight(seed: number, epochs = 960, options: SyntheticNightOptions = {}): Night {
  const gaps = options.gaps ?? [];
  const dropped = (i: number) =>
    (options.dropEvery !== undefined && options.dropEvery > 0 && i > 0 && i % options.dropEvery === 0) || gaps.some(([from, to]) => i >= from && i < to);
  const rand = seededRandom(seed);
  const night: Night = { subject: `synthetic-${seed}`, indices: [], features: [], stages: [] };
  let stage: (typeof STAGES)[number] = 'W';
  for (let i = 0; i < epochs; i++) {
    const hours = i / 120;
    const row = TRANSITIONS[stage].slice();
    // More REM and less N3 as the night goes on.
    row[4] = row[4]! * (0.5 + hours / 4);
    row[3] = row[3]! * Math.max(0.1, 1.5 - hours / 4);
    const total = row.reduce((s, v) => s + v, 0);
    let u = rand() * total;
    let next = 0;
    while (next < row.length - 1 && u >= row[next]!) u -= row[next++]!;
    stage = STAGES[next]!;
    if (dropped(i)) continue;
    const awake = stage === 'W';
    const activity = awake ? Math.max(0, 30 + 25 * gaussian(rand)) : stage === 'N1' ? Math.max(0, 4 * gaussian(rand) + 3) : rand() < 0.6 ? 0 : Math.abs(2 * gaussian(rand));
    const hrv = Math.max(0.01, (stage === 'R' ? 0.55 : awake ? 0.6 : stage === 'N3' ? 0.2 : 0.3) + 0.08 * gaussian(rand));
    night.indices.push(i);
    night.features.push([
      decimal(activity),
      decimal(hrv),
      decimal(-Math.cos((2 * Math.PI * (i * 30 - 5 * 3600)) / 86400)),
      decimal(hours),
      decimal(Math.sin(hours / 3) * 0.5),
    ]);
    night.stages.push(stage);
  }
  return night;
}

/**
 * 452 epochs with indices 0..472 and a 21-epoch dropout at 379..399; starts and ends awake and
 * visits every stage. Several tests lean on this shape (the gap, the last index).
 */
export function nightWithGap(): Night {
  return syntheticNight(1, 473, { gaps: [[379, 400]] });
}

/**
 * `count` whole nights of different lengths (800..979 epochs, as most sleep-accel nights), every
 * second one with short dropouts; seeds `firstSeed`, `firstSeed + 1`, …
 */
export function syntheticNights(count: number, firstSeed = 100): Night[] {
  return Array.from({ length: count }, (_, k) => syntheticNight(firstSeed + k, 800 + ((k * 67) % 180), { dropEvery: k % 2 === 1 ? 97 : 0 }));
}
