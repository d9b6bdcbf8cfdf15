import { FEATURE_SCHEMA_VERSION, hasSleepData, listSubjects, loadNight, packRows, SLEEP_DATA_DIR, type Night } from '../../test/helpers/sleep-data.js';
import type { NightBody } from './stack.js';

let cache: Night[] | null = null;

/**
 * Every real night of the sleep-accel data (about 800 epochs each), from SLEEP_DATA_DIR (default
 * ../shared/data/sleep-accel): the benchmarks measure real nights, so they need the data.
 */
export function realNights(): Night[] {
  if (!hasSleepData()) throw new Error(`the benchmarks need the sleep-accel nights: ${SLEEP_DATA_DIR} is absent (set SLEEP_DATA_DIR; see the README)`);
  cache ??= listSubjects().map(loadNight);
  return cache;
}

export function packedBody(night: Night): NightBody {
  const template = JSON.stringify({ recording_id: '__RECORDING__', feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: night.indices[0] ?? 0, packed: packRows(night.features) });
  return { epochs: night.features.length, template };
}

export function listBody(night: Night): NightBody {
  const template = JSON.stringify({
    recording_id: '__RECORDING__',
    feature_schema_version: FEATURE_SCHEMA_VERSION,
    epochs: night.indices.map((epoch_index, k) => ({ epoch_index, features: night.features[k] })),
  });
  return { epochs: night.features.length, template };
}
