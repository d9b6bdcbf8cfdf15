import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeNpy } from '../../src/models/npy-write.js';
import { SHIPPED_MODELS_DIR } from './services.js';

/** A whole-night model's pipeline: windows, night z-scores and the REM share decoder. */
export const CONTEXT_PIPELINE = {
  transforms: [
    { feature: 'activity_count', op: 'log1p' },
    { feature: 'hr_variability', op: 'log', offset: 0.01 },
  ],
  inputs: [
    'activity_count',
    'hr_variability',
    'hours_since_start',
    { name: 'activity_mean_5', op: 'rolling_mean', of: 'activity_count', half_width: 5 },
    { name: 'activity_sd_5', op: 'rolling_sd', of: 'activity_count', half_width: 5 },
    { name: 'hrv_mean_20', op: 'rolling_mean', of: 'hr_variability', half_width: 20 },
    { name: 'activity_z', op: 'recording_zscore', of: 'activity_count', min_sd: 0.001 },
    { name: 'hrv_mean_20_z', op: 'recording_zscore', of: 'hrv_mean_20', min_sd: 0.001 },
  ],
  decoder: { op: 'class_share', class: 'REM', share_of_sleep: 0.22, blend: 0.5 },
};

// [inputs][W, NREM, REM]: wake with activity, REM with high HRV later in the night.
const WEIGHTS = [
  [0.8, -0.4, -0.2],
  [0.2, -0.6, 0.6],
  [-0.2, 0, 0.25],
  [0.9, -0.5, -0.3],
  [0.4, -0.2, 0],
  [0.1, -0.9, 0.9],
  [0.3, -0.1, -0.1],
  [0, -0.5, 0.6],
];

/**
 * Writes a W/NREM/REM context model named `version` into `modelsDir` (wnr-v2's schema, label map
 * and metadata with CONTEXT_PIPELINE and fixed weights). Its metadata keeps wnr-v2's CV figures,
 * so tests pick it with ACTIVE_MODEL_VERSION rather than by rank.
 */
export function writeContextModel(modelsDir: string, version = 'ctx-test', bias: readonly number[] = [-1.2, 1.0, -0.3]): string {
  const dir = path.join(modelsDir, version);
  cpSync(path.join(SHIPPED_MODELS_DIR, 'wnr-v2'), dir, { recursive: true });
  // The pipeline carries the transforms; a transforms.json beside it is refused by the loader.
  rmSync(path.join(dir, 'transforms.json'), { force: true });
  writeFileSync(path.join(dir, 'pipeline.json'), JSON.stringify(CONTEXT_PIPELINE, null, 2));
  writeFileSync(path.join(dir, 'weights.npy'), encodeNpy(Float32Array.from(WEIGHTS.flat()), [WEIGHTS.length, 3]));
  writeFileSync(path.join(dir, 'bias.npy'), encodeNpy(Float32Array.from(bias), [3]));
  return dir;
}
