import { parse } from 'npyjs';
import { describe, expect, it } from 'vitest';
import { encodeNpy } from '../../src/models/npy-write.js';

/** npyjs wants an ArrayBuffer holding exactly the file. */
function roundTrip(bytes: Uint8Array) {
  return parse(bytes.slice().buffer as ArrayBuffer);
}

function headerText(bytes: Uint8Array): string {
  const len = bytes[8]! | (bytes[9]! << 8);
  return new TextDecoder('latin1').decode(bytes.subarray(10, 10 + len));
}

describe('encodeNpy', () => {
  it('round-trips a float32 matrix through npyjs with shape and C order', () => {
    const data = Float32Array.from([1.5, -2, 3.25, 0, 1e-30, -7e20, Math.PI, 42, -0.1, 9, 10, 11, 12, 13, 14]);
    const bytes = encodeNpy(data, [5, 3]);
    const arr = roundTrip(bytes);
    expect(arr.dtype).toBe('f4');
    expect(arr.shape).toEqual([5, 3]);
    expect(arr.fortranOrder).toBe(false);
    expect(arr.data).toBeInstanceOf(Float32Array);
    expect(Array.from(arr.data as Float32Array)).toEqual(Array.from(data));
  });

  it('round-trips float64 vectors exactly', () => {
    const data = Float64Array.from([Math.PI, -1 / 3, 1e300, -0, Number.MIN_VALUE]);
    const arr = roundTrip(encodeNpy(data, [5]));
    expect(arr.dtype).toBe('f8');
    expect(arr.shape).toEqual([5]);
    expect(Array.from(arr.data as Float64Array)).toEqual(Array.from(data));
  });

  it('writes a v1.0 header padded to 64 bytes and ending in a newline', () => {
    const bytes = encodeNpy(new Float32Array(3), [3]);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const header = headerText(bytes);
    expect((10 + header.length) % 64).toBe(0);
    expect(header.endsWith('\n')).toBe(true);
    expect(header).toContain("'descr': '<f4'");
    expect(header).toContain("'fortran_order': False");
    expect(header).toContain("'shape': (3,)");
    expect(bytes.length).toBe(10 + header.length + 12);
  });

  it('uses Python tuple syntax for 2-d and scalar shapes', () => {
    expect(headerText(encodeNpy(new Float64Array(6), [2, 3]))).toContain("'shape': (2, 3)");
    expect(headerText(encodeNpy(Float64Array.of(1), []))).toContain("'shape': ()");
  });

  it('stores little-endian bytes', () => {
    const bytes = encodeNpy(Float32Array.of(1), [1]);
    // 1.0f = 0x3f800000 -> little-endian 00 00 80 3f
    expect(Array.from(bytes.subarray(bytes.length - 4))).toEqual([0, 0, 0x80, 0x3f]);
  });

  it('rejects shapes that do not match the data', () => {
    expect(() => encodeNpy(new Float32Array(6), [4, 2])).toThrow(/holds 8 elements/);
    expect(() => encodeNpy(new Float32Array(2), [-2])).toThrow(/invalid npy dimension/);
  });
});
