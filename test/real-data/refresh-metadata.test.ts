import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { refreshMetadata } from '../../src/training/refresh-metadata.js';
import { SHIPPED_MODELS_DIR } from '../helpers/services.js';
import { hasSleepData, needsSleepData, SLEEP_DATA_DIR } from '../helpers/sleep-data.js';

describe.skipIf(!hasSleepData())(needsSleepData('refresh-metadata'), () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'noctis-refresh-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('re-runs the CV at the recorded hyperparameters and rewrites only metadata.json', async () => {
    const folder = path.join(dir, 'wnr-v2');
    cpSync(path.join(SHIPPED_MODELS_DIR, 'wnr-v2'), folder, { recursive: true });
    const files = readdirSync(folder).sort();
    const before = new Map(files.map((f) => [f, readFileSync(path.join(folder, f))]));
    const old = JSON.parse(before.get('metadata.json')!.toString('utf8'));

    const result = await refreshMetadata({ modelDir: folder, dataDir: SLEEP_DATA_DIR, folds: 3, command: 'vitest refresh', now: new Date('2020-01-02T00:00:00Z') });

    expect(readdirSync(folder).sort()).toEqual(files);
    for (const f of files.filter((f) => f !== 'metadata.json')) expect(readFileSync(path.join(folder, f)).equals(before.get(f)!), f).toBe(true);
    const meta = JSON.parse(readFileSync(path.join(folder, 'metadata.json'), 'utf8'));
    expect(meta).toEqual(result.metadata);
    // Everything but the evaluation (and the note of the refresh) is as it was.
    const { evaluation: _e, metadata_refresh: refresh, ...rest } = meta;
    const { evaluation: oldEvaluation, metadata_refresh: _r, ...oldRest } = old;
    expect(rest).toEqual(oldRest);
    expect(refresh.refreshed_at).toBe('2020-01-02T00:00:00.000Z');
    expect(refresh.command).toBe('vitest refresh');
    expect(refresh.previous_evaluation.cohen_kappa).toBe(oldEvaluation.cohen_kappa);
    // The recorded settings reproduce the shipped weights (up to float32 CSV rounding).
    expect(result.refitMaxAbsDiff).toBeLessThan(1e-3);
    expect(meta.evaluation.method).toMatch(/grouped 3-fold/);
    expect(meta.evaluation.kappa.w_nrem_rem.pooled).toBeGreaterThan(0.25);
    expect(meta.evaluation.night_statistics.metrics.minutes_REM.trivial.mae).toBeGreaterThan(0);
  });
});
