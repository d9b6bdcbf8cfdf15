// PostgreSQL's binary COPY format (PGCOPY) for the epochs and predictions tables, for
// bench/write-path.bench.ts: the alternative to the service's INSERT … SELECT FROM unnest that the
// benchmark measures against it. Field layouts are those of the types' send functions.

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const FLOAT4_OID = 700;
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);

class Writer {
  private buf = Buffer.allocUnsafe(1 << 16);
  private at = 0;

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
  int16(v: number): void {
    this.room(2);
    this.at = this.buf.writeInt16BE(v, this.at);
  }
  int32(v: number): void {
    this.room(4);
    this.at = this.buf.writeInt32BE(v, this.at);
  }
  int64(v: bigint): void {
    this.room(8);
    this.at = this.buf.writeBigInt64BE(v, this.at);
  }
  bytes(b: Buffer): void {
    this.room(b.length);
    this.at += b.copy(this.buf, this.at);
  }
  field(b: Buffer): void {
    this.int32(b.length);
    this.bytes(b);
  }
  /** A one-dimensional real[] field (array_send's layout). */
  float4Array(values: Float32Array, from: number, count: number): void {
    this.int32(20 + count * 8);
    this.int32(1);
    this.int32(0);
    this.int32(FLOAT4_OID);
    this.int32(count);
    this.int32(1);
    this.room(count * 8);
    for (let i = 0; i < count; i++) {
      this.at = this.buf.writeInt32BE(4, this.at);
      this.at = this.buf.writeFloatBE(values[from + i]!, this.at);
    }
  }
  done(): Buffer {
    this.int16(-1);
    return this.buf.subarray(0, this.at);
  }
  static start(): Writer {
    const w = new Writer();
    w.bytes(SIGNATURE);
    w.int32(0); // flags
    w.int32(0); // header extension length
    return w;
  }
}

export interface NightRows {
  readonly recordingId: string;
  readonly startedAt: Date;
  readonly epochSeconds: number;
  readonly indices: Int32Array;
  readonly features: Float32Array;
  readonly nFeatures: number;
  readonly modelVersion: string;
  readonly labels: readonly string[];
  readonly probabilities: Float32Array;
  readonly classes: Uint8Array;
}

function rowKey(w: Writer, fields: number, night: NightRows, k: number, uuid: Buffer): void {
  const index = night.indices[k]!;
  w.int16(fields);
  w.field(uuid);
  w.int32(4);
  w.int32(index);
  w.int32(8);
  w.int64(BigInt(night.startedAt.getTime() - PG_EPOCH_MS + index * night.epochSeconds * 1000) * 1000n);
}

/** COPY epochs (recording_id, epoch_index, ts, features) FROM STDIN (FORMAT binary) data. */
export function epochsCopyData(night: NightRows): Buffer {
  const w = Writer.start();
  const uuid = Buffer.from(night.recordingId.replaceAll('-', ''), 'hex');
  for (let k = 0; k < night.indices.length; k++) {
    rowKey(w, 4, night, k, uuid);
    w.float4Array(night.features, k * night.nFeatures, night.nFeatures);
  }
  return w.done();
}

/** COPY predictions (recording_id, epoch_index, ts, model_version, stage, probabilities) FROM STDIN (FORMAT binary) data. */
export function predictionsCopyData(night: NightRows): Buffer {
  const w = Writer.start();
  const uuid = Buffer.from(night.recordingId.replaceAll('-', ''), 'hex');
  const version = Buffer.from(night.modelVersion);
  const stages = night.labels.map((l) => Buffer.from(l));
  const nClasses = night.labels.length;
  for (let k = 0; k < night.indices.length; k++) {
    rowKey(w, 6, night, k, uuid);
    w.field(version);
    w.field(stages[night.classes[k]!]!);
    w.float4Array(night.probabilities, k * nClasses, nClasses);
  }
  return w.done();
}
