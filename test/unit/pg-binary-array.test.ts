import { describe, expect, it } from 'vitest';
import { float4ArrayParam, int4ArrayParam } from '../../src/db/pg-binary-array.js';

describe('binary array parameters', () => {
  it('writes the array_send layout: one dimension, no nulls, element OID, length and lower bound 1', () => {
    const out = int4ArrayParam([7, -1, 2_147_483_647]);
    expect([0, 4, 8, 12, 16].map((o) => out.readInt32BE(o))).toEqual([1, 0, 23, 3, 1]);
    expect([20, 28, 36].map((o) => out.readInt32BE(o))).toEqual([4, 4, 4]);
    expect([24, 32, 40].map((o) => out.readInt32BE(o))).toEqual([7, -1, 2_147_483_647]);
    expect(out.length).toBe(20 + 3 * 8);
  });

  it('keeps float32 values bit-exact, -0 included', () => {
    const values = Float32Array.from([0.1, -0, 3.4028234663852886e38, 1.401298464324817e-45]);
    const out = float4ArrayParam(values);
    expect(out.readInt32BE(8)).toBe(700);
    expect(Array.from(values, (_, i) => out.readFloatBE(24 + i * 8))).toEqual(Array.from(values));
    expect(Object.is(out.readFloatBE(32), -0)).toBe(true);
  });

  it('encodes an empty array', () => {
    expect(float4ArrayParam(new Float32Array(0)).readInt32BE(12)).toBe(0);
  });
});
