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
  /** Strictly increasing (rows are sorted by epoch index when loaded). */
  readonly epochIndex: Int32Array;
  /**
   * nEpochs * SLEEP_ACCEL_FEATURES.length, row-major, raw values rounded to float32: the service
   * stores features as float32, so training sees exactly what scoring will see.
   */
  readonly features: Float32Array;
  /** AASM code index per epoch (position in AASM_STAGES). */
  readonly stages: Uint8Array;
}

/**
 * Parse one subject's CSV text; rows come back sorted by epoch index (a night is a sequence).
 * Throws with file/line context on malformed rows and on a repeated epoch index.
 */
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
  const features = new Float32Array(n * nF);
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
  return sortByEpochIndex({ subject, nEpochs: n, epochIndex, features, stages });
}

function sortByEpochIndex(d: SubjectData): SubjectData {
  const n = d.nEpochs;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d.epochIndex[a]! - d.epochIndex[b]!);
  for (let r = 1; r < n; r++) {
    if (d.epochIndex[order[r]!] === d.epochIndex[order[r - 1]!]) {
      throw new Error(`${d.subject}: epoch_index ${d.epochIndex[order[r]!]} appears twice`);
    }
  }
  if (order.every((k, r) => k === r)) return d;
  const nF = SLEEP_ACCEL_FEATURES.length;
  const epochIndex = new Int32Array(n);
  const features = new Float32Array(n * nF);
  const stages = new Uint8Array(n);
  order.forEach((k, r) => {
    epochIndex[r] = d.epochIndex[k]!;
    stages[r] = d.stages[k]!;
    features.set(d.features.subarray(k * nF, (k + 1) * nF), r * nF);
  });
  return { ...d, epochIndex, features, stages };
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
