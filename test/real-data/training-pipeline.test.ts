import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelFolder } from '../../src/models/model-loader.js';
import { computeInputs } from '../../src/scoring/night-inputs.js';
import { scoreNight } from '../../src/scoring/night-scorer.js';
import { loadSleepAccelDir, SLEEP_ACCEL_FEATURES } from '../../src/training/csv.js';
import { LABEL_SETS } from '../../src/training/label-sets.js';
import { nightInputs } from '../../src/training/night-rows.js';
import { readPipelineTemplate } from '../../src/training/pipeline-template.js';
import { trainModel } from '../../src/training/train-model.js';
import { REPO_ROOT } from '../helpers/services.js';
import { hasSleepData, listSubjects, loadNight, needsSleepData, SLEEP_DATA_DIR } from '../helpers/sleep-data.js';

const PIPELINE_FILE = path.join(REPO_ROOT, 'pipelines/context-v3.json');

describe.skipIf(!hasSleepData())(needsSleepData('training with a pipeline'), () => {
  const out = mkdtempSync(path.join(tmpdir(), 'noctis-train-pipeline-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('writes a loadable folder whose model computes the same inputs and scores nights exactly like the in-memory model', async () => {
    const template = await readPipelineTemplate(PIPELINE_FILE, [...SLEEP_ACCEL_FEATURES], LABEL_SETS.wnr.classes);
    expect(template.shareFromTraining).toBe(true);
    const result = await trainModel({
      dataDir: SLEEP_DATA_DIR,
      labelSet: 'wnr',
      transforms: [],
      pipeline: { file: 'pipelines/context-v3.json', template },
      priorCalibration: true,
      l2Grid: [0.03],
      classWeightGrid: ['none'],
      folds: 3,
      compareUntransformed: false,
      version: 'ctx',
      outDir: out,
      force: false,
      dryRun: false,
      command: 'vitest ctx',
      now: new Date('2020-01-01T00:00:00Z'),
    });
    const dir = path.join(out, 'ctx');
    expect(readdirSync(dir).sort()).toEqual(['bias.npy', 'feature_schema.json', 'label_map.json', 'metadata.json', 'pipeline.json', 'weights.npy']);

    // The decoder's share of sleep was filled from the training labels: REM / non-W epochs.
    const nights = listSubjects().map(loadNight);
    const stages = nights.flatMap((n) => n.stages);
    const share = stages.filter((s) => s === 'R').length / stages.filter((s) => s !== 'W').length;
    const pipelineJson = JSON.parse(readFileSync(path.join(dir, 'pipeline.json'), 'utf8'));
    expect(pipelineJson.decoder).toEqual({ op: 'class_share', class: 'REM', share_of_sleep: share, blend: 0.75 });

    const loaded = await loadModelFolder(out, 'ctx');
    expect(loaded.wholeNight).toBe(true);
    expect(loaded.night.pipeline.inputNames).toHaveLength(19);
    expect(Array.from(loaded.night.weights)).toEqual(Array.from(result.final.model.weights));
    expect(Array.from(loaded.night.bias)).toEqual(Array.from(result.final.model.bias));

    // Stored epochs are float32: the service's inputs from them equal the training rows bit for bit,
    // and the loaded model scores each night exactly like the in-memory one.
    const subjects = await loadSleepAccelDir(SLEEP_DATA_DIR);
    for (const [k, night] of nights.slice(0, 3).entries()) {
      const stored = Float32Array.from(night.features.flat());
      const served = computeInputs(loaded.night.pipeline, night.indices, stored, night.indices.length);
      expect(Buffer.from(served.buffer).equals(Buffer.from(nightInputs(subjects[k]!, result.final.model.pipeline).buffer))).toBe(true);
      const a = scoreNight(loaded.night, night.indices, stored, night.indices.length);
      const b = scoreNight(result.final.model, subjects[k]!.epochIndex, subjects[k]!.features, subjects[k]!.nEpochs);
      expect(Array.from(a.classes)).toEqual(Array.from(b.classes));
      expect(Buffer.from(a.probabilities.buffer).equals(Buffer.from(b.probabilities.buffer))).toBe(true);
    }

    const meta = JSON.parse(readFileSync(path.join(dir, 'metadata.json'), 'utf8'));
    expect(meta.training.command).toBe('vitest ctx');
    expect(meta.training.hyperparameters.prior_calibration.enabled).toBe(true);
    expect(meta.training.pipeline).toMatchObject({ file: 'pipelines/context-v3.json', share_of_sleep_from_training: true });
    expect(meta.inputs).toEqual(loaded.night.pipeline.inputNames);
    const e = meta.evaluation;
    expect(e.method).toMatch(/grouped 3-fold over 24 subjects/);
    expect(e.folds).toHaveLength(3);
    for (const fold of e.folds) expect(fold.decoder_share_of_sleep).toBeGreaterThan(0.15);
    expect(e.kappa.w_nrem_rem.pooled).toBeGreaterThan(0.35);
    expect(e.kappa.wake_sleep.pooled).toBeGreaterThan(0.35);
    expect(e.per_subject).toHaveLength(24);
    expect(e.night_statistics.per_night).toHaveLength(24);
    expect(e.night_statistics.metrics.tst_min.mae).toBeLessThan(e.night_statistics.metrics.tst_min.trivial.mae);
    expect(meta.training.tuning.criterion).toMatch(/pooled Cohen kappa/);
  });
});
