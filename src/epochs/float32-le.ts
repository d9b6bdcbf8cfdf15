/**
 * Little-endian float32 values of `bytes` (the wire and storage format of packed and base64
 * features, and of accepted batches). Copies, so the result is aligned whatever the offset of
 * `bytes` in its buffer; `bytes.length` must be a multiple of 4.
 */
export function float32FromLE(bytes: Uint8Array): Float32Array {
  if (bytes.length % 4 !== 0) throw new Error(`${bytes.length} bytes is not a whole number of float32 values`);
  const out = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
