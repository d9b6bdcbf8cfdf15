import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../src/models/model-loader.js';
import { parseTransformShorthand } from '../../src/models/transforms.js';
import { scoreNight } from '../../src/scoring/night-scorer.js';
import { SLEEP_ACCEL_FEATURES } from '../../src/training/csv.js';
import { trainModel } from '../../src/training/train-model.js';
import { hasSleepData, needsSleepData, SLEEP_DATA_DIR } from '../helpers/sleep-data.js';

describe.skipIf(!hasSleepData())(needsSleepData('training on the sleep-accel nights'), () => {
  let out = '';
  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('6-fold leave-subjects-out CV reaches kappa >= 0.28 on W/NREM/REM and writes a loadable model', async () => {
    out = await mkdtemp(join(tmpdir(), 'noctis-train-'));
    const transforms = parseTransformShorthand('log1p:activity_count,log:hr_variability:0.01', [...SLEEP_ACCEL_FEATURES]);
    const result = await trainModel({
      dataDir: SLEEP_DATA_DIR,
      labelSet: 'wnr',
      transforms,
      l2Grid: [1e-3],
      classWeightGrid: ['balanced'],
      folds: 6,
      compareUntransformed: false,
      version: 'test-wnr',
      outDir: out,
      force: false,
      dryRun: false,
      command: 'vitest',
      now: new Date('2020-01-01T00:00:00Z'),
    });
    const kappa = result.tuning.report.kappa.model.pooled!;
    expect(kappa).toBeGreaterThan(0.28);
    expect((await readdir(join(out, 'test-wnr'))).sort()).toEqual([
      'bias.npy',
      'feature_schema.json',
      'label_map.json',
      'metadata.json',
      'transforms.json',
      'weights.npy',
    ]);
    const meta = JSON.parse(await readFile(join(out, 'test-wnr', 'metadata.json'), 'utf8'));
    expect(meta.evaluation.cohen_kappa).toBeCloseTo(kappa, 6);
    expect(meta.data_provenance.licence).toMatch(/ODC-By 1.0/);

    // The service's loader must accept the folder and score exactly like the in-memory model.
    const loaded = await loadModelFolder(out, 'test-wnr');
    expect(loaded.labels).toEqual(['W', 'NREM', 'REM']);
    expect(loaded.wholeNight).toBe(false);
    const x = Float32Array.from([0, 0.3, -0.8, 2, 0.4, 40, 1.2, -0.5, 0.1, 0.01]);
    const a = scoreNight(loaded.night, [0, 1], x, 2);
    const b = scoreNight(result.final.model, [0, 1], x, 2);
    expect(Array.from(a.probabilities)).toEqual(Array.from(b.probabilities));
    await expect(trainModel({ ...baseOpts(out), version: 'test-wnr' })).rejects.toThrow(/already exists/);
  });
});

function baseOpts(out: string) {
  return {
    dataDir: SLEEP_DATA_DIR,
    labelSet: 'wnr' as const,
    transforms: [],
    l2Grid: [1e-3],
    classWeightGrid: ['balanced' as const],
    folds: 6,
    compareUntransformed: false,
    version: 'x',
    outDir: out,
    force: false,
    dryRun: false,
    command: 'vitest',
  };
}
