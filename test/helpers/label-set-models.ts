import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFloatNpy } from '../../src/models/npy.js';
import { copyModels } from './model-dirs.js';

// Models in the other label sets the registry allows, derived from wnr-v1 (W/NREM/REM) so that they
// stage real nights plausibly: NREM is split by time since start (deep sleep early in the night).
export const TEST_LABEL_SETS = {
  'ws-t': ['W', 'SLEEP'],
  'wldr-t': ['W', 'LIGHT', 'DEEP', 'REM'],
  'aasm-t': ['W', 'N1', 'N2', 'N3', 'REM'],
} as const;
export type TestVersion = keyof typeof TEST_LABEL_SETS;

const HOURS_SINCE_START = 3; // feature index in sleep-accel-v1

/** .npy v1.0 of little-endian float32 (a test helper's own tiny writer). */
function npy(data: Float32Array, shape: readonly number[]): Buffer {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pad = (64 - ((10 + dict.length + 1) % 64)) % 64;
  const header = dict + ' '.repeat(pad) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.alloc(data.length * 4);
  data.forEach((v, i) => body.writeFloatLE(v, i * 4));
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

type Column = { w: number[]; b: number };

/** The shipped models this suite uses, copied into a private models dir beside ws-t, wldr-t and aasm-t. */
export const SHIPPED_VERSIONS = ['wnr-v1', 'wnr-v2', 'wldr-v1'] as const;

export function labelSetModels(): { dir: string; remove(): void } {
  const models = copyModels(SHIPPED_VERSIONS);
  const base = path.join(models.dir, 'wnr-v1');
  const weights = readFloatNpy(new Uint8Array(readFileSync(path.join(base, 'weights.npy'))), 'weights.npy');
  const bias = readFloatNpy(new Uint8Array(readFileSync(path.join(base, 'bias.npy'))), 'bias.npy');
  const [nFeatures, nClasses] = weights.shape as [number, number];
  const col = (c: number): Column => ({ w: Array.from({ length: nFeatures }, (_, f) => weights.data[f * nClasses + c]!), b: bias.data[c]! });
  const [wake, nrem, rem] = [col(0), col(1), col(2)];
  const shift = (c: Column, db: number, dHours = 0): Column => ({ w: c.w.map((v, f) => (f === HOURS_SINCE_START ? v + dHours : v)), b: c.b + db });
  const columns: Record<TestVersion, Column[]> = {
    'ws-t': [wake, shift(nrem, 0.5)],
    'wldr-t': [wake, nrem, shift(nrem, 1, -0.5), rem],
    'aasm-t': [wake, shift(nrem, -1.5), nrem, shift(nrem, 1, -0.5), rem],
  };
  for (const [version, cols] of Object.entries(columns) as [TestVersion, Column[]][]) {
    writeModel(base, path.join(models.dir, version), version, cols, TEST_LABEL_SETS[version]);
  }
  return models;
}

function writeModel(base: string, dir: string, version: string, cols: Column[], labels: readonly string[]): void {
  const nFeatures = cols[0]!.w.length;
  const w = new Float32Array(nFeatures * cols.length);
  cols.forEach((c, k) => c.w.forEach((v, f) => (w[f * cols.length + k] = v)));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'weights.npy'), npy(w, [nFeatures, cols.length]));
  writeFileSync(path.join(dir, 'bias.npy'), npy(Float32Array.from(cols.map((c) => c.b)), [cols.length]));
  writeFileSync(path.join(dir, 'feature_schema.json'), readFileSync(path.join(base, 'feature_schema.json')));
  writeFileSync(path.join(dir, 'label_map.json'), JSON.stringify(Object.fromEntries(labels.map((l, i) => [String(i), l]))));
  writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify({ version, label_set: labels.join('/'), derived_from: 'wnr-v1', test_only: true }));
}
