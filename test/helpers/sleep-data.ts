import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { SHARED_DATA_DIR } from './services.js';

export const FEATURES = ['activity_count', 'hr_variability', 'circadian_cosine', 'hours_since_start', 'clock_proxy'] as const;
export const FEATURE_SCHEMA_VERSION = 'sleep-accel-v1';

export interface Night {
  subject: string;
  indices: number[];
  features: number[][];
  stages: string[];
}

export const hasSharedData = (): boolean => existsSync(SHARED_DATA_DIR);

export function listSubjects(): string[] {
  return readdirSync(SHARED_DATA_DIR)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => f.replace(/\.csv$/, ''))
    .sort();
}

/** One subject's night from the shared sleep-accel data (never copied into the repo). */
export function loadNight(subject: string): Night {
  const lines = readFileSync(path.join(SHARED_DATA_DIR, `${subject}.csv`), 'utf8').trim().split('\n');
  const header = lines[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  const night: Night = { subject, indices: [], features: [], stages: [] };
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    night.indices.push(Number(cells[col('epoch_index')]));
    night.features.push(FEATURES.map((f) => Number(cells[col(f)])));
    night.stages.push(cells[col('stage')]!);
  }
  return night;
}

/** base64 of little-endian float32 rows, as the packed ingest form expects. */
export function packRows(rows: readonly (readonly number[])[]): string {
  const out = Buffer.alloc(rows.length * rows[0]!.length * 4);
  let offset = 0;
  for (const row of rows) for (const v of row) offset = out.writeFloatLE(v, offset);
  return out.toString('base64');
}
