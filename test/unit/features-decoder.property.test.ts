import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeEpochList, decodePacked, MAX_EPOCH_INDEX } from '../../src/epochs/features.decoder.js';
import { AppError } from '../../src/errors/app-error.js';

const FEATURES = ['activity_count', 'hr_variability', 'circadian_cosine', 'hours_since_start', 'clock_proxy'] as const;
const N = FEATURES.length;
const MAX = 20_000;

/** Finite float32 values (what a device can send and the decoders must keep bit for bit). */
const float32 = fc.float({ noNaN: true, noDefaultInfinity: true });
const row = fc.array(float32, { minLength: N, maxLength: N });
const rows = fc.array(row, { minLength: 1, maxLength: 60 });

function packLE(values: readonly number[]): string {
  const out = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => out.writeFloatLE(v, i * 4));
  return out.toString('base64');
}

/** Runs a decoder; the only acceptable failure is an AppError with a 4xx status. */
function outcome<T>(decode: () => T): { ok: true; value: T } | { ok: false; error: AppError } {
  try {
    return { ok: true, value: decode() };
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    const status = (err as AppError).statusCode;
    expect(status === 413 || status === 422).toBe(true);
    return { ok: false, error: err as AppError };
  }
}

const sameFloat32 = (got: Float32Array, sent: readonly number[]) => expect(Array.from(got)).toEqual(sent.map((v) => Math.fround(v)));

describe('feature decoders (property-based)', () => {
  it('decodeBase64 agrees with Buffer on canonical base64 and rejects every string of a length not divisible by 4', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        expect(decodeBase64(text)?.equals(Buffer.from(bytes))).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }).filter((s) => s.length % 4 !== 0), (text) => {
        expect(decodeBase64(text)).toBeNull();
      }),
    );
  });

  it('decodeBase64 never throws and only accepts the standard padded alphabet', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64, unit: fc.constantFrom(...'AZaz09+/=-_ \n*'.split('')) }), (text) => {
        const bytes = decodeBase64(text);
        if (bytes !== null) expect(/^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0).toBe(true);
      }),
    );
  });

  it('packed round-trip: rows packed as little-endian float32 decode to the same values and consecutive indices', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 0, max: 1_000_000 }), (input, start) => {
        const decoded = decodePacked(packLE(input.flat()), start, FEATURES, MAX);
        expect(decoded.count).toBe(input.length);
        expect(Array.from(decoded.indices)).toEqual(input.map((_, k) => start + k));
        sameFloat32(decoded.features, input.flat());
      }),
    );
  });

  it('packed: arbitrary strings and start indices either decode consistently or fail with 413/422', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 120 }), fc.base64String({ maxLength: 200 })), fc.integer({ min: 0, max: MAX_EPOCH_INDEX }), (text, start) => {
        const result = outcome(() => decodePacked(text, start, FEATURES, MAX));
        if (result.ok) {
          expect(result.value.features.length).toBe(result.value.count * N);
          expect(result.value.count).toBeGreaterThan(0);
          expect(start + result.value.count - 1).toBeLessThanOrEqual(MAX_EPOCH_INDEX);
          expect(result.value.features.every((v) => Number.isFinite(v))).toBe(true);
        }
      }),
    );
  });

  it('packed: any non-finite value is a 422 naming its epoch index and feature', () => {
    fc.assert(
      fc.property(rows, fc.nat(), fc.nat(N - 1), fc.constantFrom(NaN, Infinity, -Infinity), (input, at, feature, bad) => {
        const k = at % input.length;
        const values = input.flat();
        values[k * N + feature] = bad;
        const result = outcome(() => decodePacked(packLE(values), 100, FEATURES, MAX));
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.error.statusCode).toBe(422);
          expect(result.error.details['epoch_index']).toBe(100 + k);
          expect(result.error.details['feature']).toBe(FEATURES[feature]);
        }
      }),
    );
  });

  it('list, object and base64 forms of the same rows decode identically', () => {
    fc.assert(
      fc.property(rows, fc.uniqueArray(fc.integer({ min: 0, max: MAX_EPOCH_INDEX }), { minLength: 60, maxLength: 60 }), fc.array(fc.constantFrom('list', 'object', 'base64'), { minLength: 60, maxLength: 60 }), (input, indices, forms) => {
        const f32 = input.map((r) => r.map((v) => Math.fround(v)));
        const epochs = f32.map((r, k) => {
          const form = forms[k]!;
          const features = form === 'list' ? r : form === 'object' ? Object.fromEntries(FEATURES.map((name, j) => [name, r[j]!])) : packLE(r);
          return { epoch_index: indices[k]!, features };
        });
        const decoded = decodeEpochList(epochs, FEATURES, { requireIndex: true, maxEpochs: MAX });
        expect(Array.from(decoded.indices)).toEqual(indices.slice(0, input.length));
        sameFloat32(decoded.features, f32.flat());
      }),
    );
  });

  it('list form: arbitrary JSON as features or epoch_index fails only with 413/422, and what decodes is finite', () => {
    const features = fc.oneof(fc.jsonValue(), fc.array(fc.oneof(fc.double(), fc.string(), fc.boolean(), fc.constant(null)), { maxLength: 7 }), fc.dictionary(fc.oneof(fc.constantFrom(...FEATURES), fc.string()), fc.double()));
    const epochIndex = fc.oneof(fc.constant(undefined), fc.integer(), fc.double(), fc.constantFrom(-0, 2 ** 31, 2 ** 53 + 2, Number.MAX_VALUE));
    fc.assert(
      fc.property(fc.array(fc.record({ epoch_index: epochIndex, features }), { minLength: 1, maxLength: 8 }), fc.boolean(), (epochs, requireIndex) => {
        const result = outcome(() => decodeEpochList(epochs as never, FEATURES, { requireIndex, maxEpochs: MAX }));
        if (result.ok) {
          expect(result.value.features.every((v) => Number.isFinite(v))).toBe(true);
          expect(new Set(result.value.indices).size).toBe(result.value.count);
          expect(Array.from(result.value.indices).every((i) => i >= 0 && i <= MAX_EPOCH_INDEX)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('list form: a repeated epoch_index is always rejected', () => {
    fc.assert(
      fc.property(rows.filter((r) => r.length >= 2), fc.nat(MAX_EPOCH_INDEX), (input, index) => {
        const epochs = input.map((r, k) => ({ epoch_index: k < 2 ? index : index + k + 1e6, features: r }));
        expect(outcome(() => decodeEpochList(epochs, FEATURES, { requireIndex: true, maxEpochs: MAX })).ok).toBe(false);
      }),
    );
  });

  it('never more epochs than the limit: 413 too_many_epochs in both forms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), (count, limit) => {
        const input = Array.from({ length: count }, () => [1, 2, 3, 4, 5]);
        const packed = outcome(() => decodePacked(packLE(input.flat()), 0, FEATURES, limit));
        const list = outcome(() => decodeEpochList(input.map((features, k) => ({ epoch_index: k, features })), FEATURES, { requireIndex: true, maxEpochs: limit }));
        for (const result of [packed, list]) {
          expect(result.ok).toBe(count <= limit);
          if (!result.ok) expect(result.error.code).toBe('too_many_epochs');
        }
      }),
    );
  });
});
