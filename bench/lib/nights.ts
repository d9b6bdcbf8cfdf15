import { FEATURE_SCHEMA_VERSION, listSubjects, loadNight, packRows, type Night } from '../../test/helpers/sleep-data.js';
import type { NightBody } from './stack.js';

let cache: Night[] | null = null;

/** Every real night of the shared sleep-accel data (about 800 epochs each). */
export function realNights(): Night[] {
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
