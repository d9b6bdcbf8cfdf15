import { parse } from 'npyjs';

export interface FloatMatrix {
  readonly shape: readonly number[];
  /** C (row-major) order whatever order the file used. */
  readonly data: Float32Array;
}

/**
 * Reads a float32/float64 .npy of rank 1 or 2 into row-major float32. Anything else (integer
 * dtypes, big-endian, rank > 2, truncated data) is rejected with a message naming the file.
 */
export function readFloatNpy(bytes: Uint8Array, name: string): FloatMatrix {
  const header = describeHeader(bytes);
  if (!header) throw new Error(`${name}: not a .npy file (missing the \\x93NUMPY magic)`);
  if (header.descr && /^>/.test(header.descr)) {
    throw new Error(`${name}: big-endian arrays (${header.descr}) are not supported; save as little-endian`);
  }
  let parsed;
  try {
    // A real copy: Buffer#slice is a view whose .buffer may be a shared pool at another offset.
    const copy = new Uint8Array(bytes);
    parsed = parse(copy.buffer as ArrayBuffer);
  } catch (err) {
    throw new Error(`${name}: not a readable .npy file (${(err as Error).message})`);
  }
  if (parsed.dtype !== 'f4' && parsed.dtype !== 'f8') {
    throw new Error(`${name}: dtype ${parsed.dtype} is not supported; use float32 or float64`);
  }
  const shape = parsed.shape;
  if (shape.length < 1 || shape.length > 2) {
    throw new Error(`${name}: expected a 1- or 2-dimensional array, got shape [${shape.join(', ')}]`);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const source = parsed.data as Float32Array | Float64Array;
  if (source.length !== size) {
    throw new Error(`${name}: holds ${source.length} values but its shape [${shape.join(', ')}] needs ${size}`);
  }
  const data = new Float32Array(size);
  if (parsed.fortranOrder && shape.length === 2) {
    // npyjs hands Fortran-order data back untransposed: element (i, j) sits at j * rows + i.
    const [rows, cols] = shape as [number, number];
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = source[j * rows + i]!;
  } else {
    data.set(source);
  }
  return { shape: [...shape], data };
}

function describeHeader(bytes: Uint8Array): { descr?: string } | null {
  if (bytes.length < 10 || bytes[0] !== 0x93 || String.fromCharCode(...bytes.subarray(1, 6)) !== 'NUMPY') return null;
  const text = new TextDecoder('latin1').decode(bytes.subarray(8, Math.min(bytes.length, 8 + 4096)));
  return { descr: /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1] };
}
