// Loader for the sleep-accel per-epoch CSV format (one file per subject/night).
// Columns: epoch_index,activity_count,hr_variability,circadian_cosine,hours_since_start,clock_proxy,stage

import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { aasmCode } from './label-sets.js';

/** Feature columns, exactly as named and ordered in the CSV; also the models' feature schema. */
export const SLEEP_ACCEL_FEATURES = [
  'activity_count',
  'hr_variability',
  'circadian_cosine',
  'hours_since_start',
  'clock_proxy',
] as const;
export const SLEEP_ACCEL_SCHEMA_VERSION = 'sleep-accel-v1';

const EXPECTED_HEADER = ['epoch_index', ...SLEEP_ACCEL_FEATURES, 'stage'];

export interface SubjectData {
  readonly subject: string;
  readonly nEpochs: number;
  readonly epochIndex: Int32Array;
  /** nEpochs * SLEEP_ACCEL_FEATURES.length, row-major, raw values. */
  readonly features: Float64Array;
  /** AASM code index per epoch (position in AASM_STAGES). */
  readonly stages: Uint8Array;
}

/** Parse one subject's CSV text. Throws with file/line context on malformed rows. */
export function parseSleepAccelCsv(text: string, subject: string): SubjectData {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${subject}: empty CSV`);
  const header = lines[0]!.split(',').map((h) => h.trim());
  if (header.join(',') !== EXPECTED_HEADER.join(',')) {
    throw new Error(`${subject}: unexpected header "${lines[0]}" (expected "${EXPECTED_HEADER.join(',')}")`);
  }
  const n = lines.length - 1;
  const nF = SLEEP_ACCEL_FEATURES.length;
  const epochIndex = new Int32Array(n);
  const features = new Float64Array(n * nF);
  const stages = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const lineNo = i + 2;
    const cells = lines[i + 1]!.split(',');
    if (cells.length !== EXPECTED_HEADER.length) {
      throw new Error(`${subject}:${lineNo}: expected ${EXPECTED_HEADER.length} columns, got ${cells.length}`);
    }
    const idx = Number(cells[0]);
    if (!Number.isInteger(idx)) throw new Error(`${subject}:${lineNo}: bad epoch_index "${cells[0]}"`);
    epochIndex[i] = idx;
    for (let j = 0; j < nF; j++) {
      const cell = cells[j + 1]!.trim();
      const v = Number(cell);
      // Number('') is 0, so reject empty cells explicitly rather than inventing zeros.
      if (cell === '' || !Number.isFinite(v)) {
        throw new Error(`${subject}:${lineNo}: non-numeric ${SLEEP_ACCEL_FEATURES[j]} "${cells[j + 1]}"`);
      }
      features[i * nF + j] = v;
    }
    try {
      stages[i] = aasmCode(cells[nF + 1]!.trim());
    } catch (e) {
      throw new Error(`${subject}:${lineNo}: ${(e as Error).message}`);
    }
  }
  return { subject, nEpochs: n, epochIndex, features, stages };
}

/** Load every *.csv in `dir`, sorted by file name so downstream CV folds are deterministic. */
export async function loadSleepAccelDir(dir: string): Promise<SubjectData[]> {
  const names = (await readdir(dir)).filter((f) => f.toLowerCase().endsWith('.csv')).sort();
  if (names.length === 0) throw new Error(`no .csv files in ${dir}`);
  const out: SubjectData[] = [];
  for (const name of names) {
    const text = await readFile(join(dir, name), 'utf8');
    out.push(parseSleepAccelCsv(text, basename(name, '.csv')));
  }
  return out;
}

/** Concatenate subjects' rows (features row-major, stages) in the given order. */
export function concatSubjects(subjects: readonly SubjectData[]): { features: Float64Array; stages: Uint8Array; n: number } {
  const nF = SLEEP_ACCEL_FEATURES.length;
  const n = subjects.reduce((s, d) => s + d.nEpochs, 0);
  const features = new Float64Array(n * nF);
  const stages = new Uint8Array(n);
  let off = 0;
  for (const d of subjects) {
    features.set(d.features, off * nF);
    stages.set(d.stages, off);
    off += d.nEpochs;
  }
  return { features, stages, n };
}
