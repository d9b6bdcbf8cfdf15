import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './services.js';

export const FEATURES = ['activity_count', 'hr_variability', 'circadian_cosine', 'hours_since_start', 'clock_proxy'] as const;
export const FEATURE_SCHEMA_VERSION = 'sleep-accel-v1';

export interface Night {
  subject: string;
  indices: number[];
  features: number[][];
  stages: string[];
}

// The labelled sleep-accel nights (one CSV per subject; see the README's "Data" section) live outside
// the repository. Tests that merely need a realistic night use test/helpers/synthetic-night.ts; the
// checks that need the real nights (model quality, training, training/serving parity, the reference
// comparisons on real nights) are in test/real-data/ and skip, saying why, when the data is absent.

const DEFAULT_SLEEP_DATA_DIR = '../shared/data/sleep-accel';
const configured = process.env['SLEEP_DATA_DIR'];

/** `SLEEP_DATA_DIR`, resolved from the repository root (default `../shared/data/sleep-accel`). */
export const SLEEP_DATA_DIR = path.resolve(REPO_ROOT, configured || DEFAULT_SLEEP_DATA_DIR);

const hasCsv = (dir: string): boolean => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.csv'));

// A directory named explicitly must be there: a wrong SLEEP_DATA_DIR fails the run rather than
// silently skipping the checks it was set to run. Only the default location may be absent.
if (configured && !hasCsv(SLEEP_DATA_DIR)) {
  throw new Error(`SLEEP_DATA_DIR=${configured} (${SLEEP_DATA_DIR}) holds no sleep-accel CSV files`);
}

const present = hasCsv(SLEEP_DATA_DIR);

/** True when the labelled nights are there (always true when SLEEP_DATA_DIR is set: see above). */
export const hasSleepData = (): boolean => present;

/**
 * The name of a suite that needs the real nights: says so, and why it was skipped when it was.
 * Use as `describe.skipIf(!hasSleepData())(needsSleepData('...'), ...)`.
 */
export function needsSleepData(name: string): string {
  return present ? `${name} (real sleep-accel nights)` : `${name} (skipped: needs the sleep-accel data, ${SLEEP_DATA_DIR} is absent; set SLEEP_DATA_DIR)`;
}

export function listSubjects(): string[] {
  return readdirSync(SLEEP_DATA_DIR)
    .filter((f) => f.endsWith('.csv'))
    .map((f) => f.replace(/\.csv$/, ''))
    .sort();
}

/** One subject's night from the sleep-accel data (never copied into the repo). */
export function loadNight(subject: string): Night {
  const lines = readFileSync(path.join(SLEEP_DATA_DIR, `${subject}.csv`), 'utf8').trim().split('\n');
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
