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

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * One night of `epochs` 30-second epochs (default 960 = 8 h), index 0 upwards; `dropEvery` > 0
 * removes every n-th epoch as sensor gaps do. Deterministic for a seed.
 */
export function syntheticNight(seed: number, epochs = 960, options: { dropEvery?: number } = {}): Night {
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
    if (options.dropEvery && i > 0 && i % options.dropEvery === 0) continue;
    const awake = stage === 'W';
    const activity = awake ? Math.max(0, 30 + 25 * gaussian(rand)) : stage === 'N1' ? Math.max(0, 4 * gaussian(rand) + 3) : rand() < 0.6 ? 0 : Math.abs(2 * gaussian(rand));
    const hrv = Math.max(0.01, (stage === 'R' ? 0.55 : awake ? 0.6 : stage === 'N3' ? 0.2 : 0.3) + 0.08 * gaussian(rand));
    night.indices.push(i);
    night.features.push([
      Math.fround(activity),
      Math.fround(hrv),
      Math.fround(-Math.cos((2 * Math.PI * (i * 30 - 5 * 3600)) / 86400)),
      Math.fround(hours),
      Math.fround(Math.sin(hours / 3) * 0.5),
    ]);
    night.stages.push(stage);
  }
  return night;
}
