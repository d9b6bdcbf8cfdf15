// Encode a little-endian, C-order .npy file (format version 1.0) from a float typed array.
// Pure: returns bytes; the caller decides where to write them.
// Spec: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
/** numpy >= 1.14 pads the header so the data starts on a 64-byte boundary (helps mmap). */
const ALIGN = 64;
const PREAMBLE = 10; // magic(6) + version(2) + uint16 header length(2)

function shapeLiteral(shape: readonly number[]): string {
  // Python tuple syntax: () for scalars, (n,) for 1-d, (a, b) otherwise.
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

/** Encode `data` as .npy bytes with dtype <f4 (Float32Array) or <f8 (Float64Array). */
export function encodeNpy(data: Float32Array | Float64Array, shape: readonly number[]): Uint8Array {
  let expected = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`invalid npy dimension ${d} in shape [${shape.join(', ')}]`);
    expected *= d;
  }
  if (expected !== data.length) {
    throw new Error(`shape [${shape.join(', ')}] holds ${expected} elements but data has ${data.length}`);
  }
  const isF32 = data instanceof Float32Array;
  const descr = isF32 ? '<f4' : '<f8';
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeLiteral(shape)}, }`;
  // Pad with spaces and end with '\n' so PREAMBLE + header length is a multiple of ALIGN.
  const unpadded = PREAMBLE + dict.length + 1;
  const headerLen = dict.length + 1 + ((ALIGN - (unpadded % ALIGN)) % ALIGN);
  if (headerLen > 0xffff) throw new Error('npy header too long for format version 1.0');
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';

  const itemSize = isF32 ? 4 : 8;
  const bytes = new Uint8Array(PREAMBLE + headerLen + data.length * itemSize);
  bytes.set(MAGIC, 0);
  bytes[6] = 1; // major version
  bytes[7] = 0; // minor version
  bytes[8] = headerLen & 0xff;
  bytes[9] = headerLen >>> 8;
  for (let i = 0; i < headerLen; i++) bytes[PREAMBLE + i] = header.charCodeAt(i);

  // DataView with explicit little-endian writes so the file is correct on big-endian hosts too.
  const view = new DataView(bytes.buffer, bytes.byteOffset + PREAMBLE + headerLen);
  if (isF32) {
    for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  } else {
    for (let i = 0; i < data.length; i++) view.setFloat64(i * 8, data[i]!, true);
  }
  return bytes;
}
