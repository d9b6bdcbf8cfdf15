import { describe, expect, it } from 'vitest';
import { float32FromLE } from '../../src/epochs/float32-le.js';

describe('float32FromLE', () => {
  it('reads little-endian float32 values bit for bit from any offset of a buffer', () => {
    const values = Float32Array.from([0, -0, 1.5, -3.25e-39, Number.NaN, Infinity, 3.4028235e38]);
    const le = Buffer.alloc(values.length * 4 + 3);
    values.forEach((v, i) => le.writeFloatLE(v, 3 + i * 4));
    const got = float32FromLE(le.subarray(3));
    expect(got).toHaveLength(values.length);
    expect(Buffer.from(got.buffer).equals(Buffer.from(values.buffer))).toBe(true);
    expect(Object.is(got[1], -0)).toBe(true);
  });

  it('refuses a length that is not a whole number of values', () => {
    expect(() => float32FromLE(new Uint8Array(6))).toThrow(/6 bytes/);
    expect(float32FromLE(new Uint8Array(0))).toHaveLength(0);
  });
});
