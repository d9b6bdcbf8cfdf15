import { unprocessable, tooLarge } from '../errors/app-error.js';
import { float32FromLE } from './float32-le.js';
import { INT4_MAX } from '../db/int4.js';

/** One epoch as the API accepts it: features as a list, an object keyed by name, or base64 float32. */
export interface EpochInput {
  readonly epoch_index?: number | undefined;
  readonly features: readonly number[] | Readonly<Record<string, number>> | string;
}

/** Epochs decoded into one contiguous row-major float32 block in schema order. */
export interface DecodedEpochs {
  readonly count: number;
  readonly indices: Int32Array;
  readonly features: Float32Array;
}

/** The largest epoch index the int4 epoch_index column can hold. */
export const MAX_EPOCH_INDEX = INT4_MAX;

/** 422 invalid_features naming the epoch (when known) and what is wrong with its features. */
export function invalidFeatures(epochIndex: number | null, reason: string, extra: Record<string, unknown> = {}): never {
  const where = epochIndex === null ? '' : ` at epoch_index ${epochIndex}`;
  throw unprocessable('invalid_features', `invalid features${where}: ${reason}`, { epoch_index: epochIndex, reason, ...extra });
}

/** Strict base64 (standard alphabet, padded) decoded to bytes; null when malformed. */
export function decodeBase64(text: string): Buffer | null {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  return Buffer.from(text, 'base64');
}

function base64Floats(text: string, expected: number, epochIndex: number | null): Float32Array {
  const bytes = decodeBase64(text);
  if (!bytes) return invalidFeatures(epochIndex, 'features is not valid base64');
  if (bytes.length !== expected * 4) {
    return invalidFeatures(epochIndex, `base64 features decode to ${bytes.length} bytes, expected ${expected * 4} (${expected} float32 values)`);
  }
  return float32FromLE(bytes);
}

function checkFinite(row: ArrayLike<number>, features: readonly string[], epochIndex: number | null): void {
  for (let j = 0; j < row.length; j++) {
    const v = row[j]!;
    if (!Number.isFinite(v)) invalidFeatures(epochIndex, `feature ${features[j]} is ${Number.isNaN(v) ? 'NaN' : 'infinite or outside the float32 range'}`, { feature: features[j] });
  }
}

/**
 * Decodes the list form of ingest/predict epochs. Indices default to the position in the list
 * when `requireIndex` is false (inline predict).
 */
export function decodeEpochList(
  epochs: readonly EpochInput[],
  features: readonly string[],
  options: { requireIndex: boolean; maxEpochs: number },
): DecodedEpochs {
  const count = epochs.length;
  if (count > options.maxEpochs) {
    throw tooLarge('too_many_epochs', `${count} epochs in one request; the limit is ${options.maxEpochs}`, { count, limit: options.maxEpochs });
  }
  const n = features.length;
  const indices = new Int32Array(count);
  const out = new Float32Array(count * n);
  const seen = new Set<number>();
  const position = new Map<string, number>(features.map((name, j) => [name, j]));
  for (let k = 0; k < count; k++) {
    const epoch = epochs[k]!;
    const index = epoch.epoch_index ?? (options.requireIndex ? undefined : k);
    if (index === undefined) invalidFeatures(null, `epochs[${k}] has no epoch_index`, { position: k });
    if (!Number.isInteger(index) || index < 0 || index > MAX_EPOCH_INDEX) {
      invalidFeatures(null, `epochs[${k}].epoch_index must be an integer from 0 to ${MAX_EPOCH_INDEX}`, { position: k });
    }
    if (seen.has(index)) invalidFeatures(index, 'epoch_index is repeated in this request');
    seen.add(index);
    indices[k] = index;
    const row = out.subarray(k * n, (k + 1) * n);
    const value = epoch.features;
    if (typeof value === 'string') {
      row.set(base64Floats(value, n, index));
    } else if (Array.isArray(value)) {
      if (value.length !== n) invalidFeatures(index, `expected ${n} features, got ${value.length}`, { expected: n, got: value.length });
      for (let j = 0; j < n; j++) {
        const v = value[j];
        if (typeof v !== 'number') invalidFeatures(index, `feature ${features[j]} is not a number`, { feature: features[j] });
        row[j] = v;
      }
    } else if (typeof value === 'object' && value !== null) {
      const record = value as Readonly<Record<string, unknown>>;
      const keys = Object.keys(record);
      const unknown = keys.filter((key) => !position.has(key));
      if (unknown.length > 0) invalidFeatures(index, `unknown feature ${unknown.map((u) => JSON.stringify(u)).join(', ')}`, { unknown });
      const missing = features.filter((name) => !(name in record));
      if (missing.length > 0) invalidFeatures(index, `missing feature ${missing.join(', ')}`, { missing });
      for (let j = 0; j < n; j++) {
        const v = record[features[j]!];
        if (typeof v !== 'number') invalidFeatures(index, `feature ${features[j]} is not a number`, { feature: features[j] });
        row[j] = v;
      }
    } else {
      invalidFeatures(index, 'features must be a list of numbers, an object keyed by feature name, or a base64 string');
    }
    checkFinite(row, features, index);
  }
  return { count, indices, features: out };
}

/** Decodes the packed form: base64 of count × features float32, row-major, indices from start_index. */
export function decodePacked(
  packed: string,
  startIndex: number,
  features: readonly string[],
  maxEpochs: number,
): DecodedEpochs {
  const bytes = decodeBase64(packed);
  if (!bytes) invalidFeatures(null, 'packed is not valid base64');
  const n = features.length;
  const rowBytes = n * 4;
  if (bytes.length === 0 || bytes.length % rowBytes !== 0) {
    invalidFeatures(null, `packed decodes to ${bytes.length} bytes, which is not a positive multiple of ${rowBytes} (${n} float32 features per epoch)`, { bytes: bytes.length });
  }
  const count = bytes.length / rowBytes;
  if (count > maxEpochs) {
    throw tooLarge('too_many_epochs', `${count} epochs in one request; the limit is ${maxEpochs}`, { count, limit: maxEpochs });
  }
  if (startIndex + count - 1 > MAX_EPOCH_INDEX) invalidFeatures(null, 'start_index + epoch count exceeds the largest epoch index');
  const out = float32FromLE(bytes);
  const indices = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    indices[k] = startIndex + k;
    checkFinite(out.subarray(k * n, (k + 1) * n), features, startIndex + k);
  }
  return { count, indices, features: out };
}
