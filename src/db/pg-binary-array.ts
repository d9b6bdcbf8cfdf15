/**
 * One-dimensional PostgreSQL arrays in the binary wire format (what array_send writes and
 * array_recv reads). node-postgres sends a Buffer parameter in binary format, and a `$n::real[]` or
 * `$n::int4[]` cast makes PostgreSQL read it as that array type: no number is formatted as text in
 * JS or parsed back by the server, and float32 values arrive bit-exact.
 */

const FLOAT4_OID = 700;
const INT4_OID = 23;
const HEADER_BYTES = 20; // ndim, has-null flag, element type, then one (length, lower bound) pair

function header(count: number, elementOid: number): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + count * 8);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(0, 4);
  out.writeInt32BE(elementOid, 8);
  out.writeInt32BE(count, 12);
  out.writeInt32BE(1, 16);
  return out;
}

/** `real[]` of `values` (every element a 4-byte length and a big-endian float32). */
export function float4ArrayParam(values: Float32Array): Buffer {
  const out = header(values.length, FLOAT4_OID);
  for (let i = 0, o = HEADER_BYTES; i < values.length; i++, o += 8) {
    out.writeInt32BE(4, o);
    out.writeFloatBE(values[i]!, o + 4);
  }
  return out;
}

/** `int4[]` of `values`, which must be 32-bit integers. */
export function int4ArrayParam(values: ArrayLike<number>): Buffer {
  const out = header(values.length, INT4_OID);
  for (let i = 0, o = HEADER_BYTES; i < values.length; i++, o += 8) {
    out.writeInt32BE(4, o);
    out.writeInt32BE(values[i]!, o + 4);
  }
  return out;
}
