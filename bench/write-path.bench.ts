// The write of one stored night, alone: a real night's epochs and predictions in one transaction per
// night, over 4 connections, as the ingest worker writes them (insertEpochs and upsertPredictions:
// INSERT … SELECT FROM unnest with binary array parameters) against binary COPY and text COPY of
// the same rows per night (pg-copy-streams). PostgreSQL CPU is read from each connection's backend
// process (/proc), so the figures are the database's work per stored epoch, which is what a faster
// wire format would have to lower. The variants alternate for BENCH_WRITE_ROUNDS rounds.
// A last figure is the cost of one trivial statement's round trip (SELECT $1), on both sides.
//   npm run bench:write   (BENCH_WRITE_NIGHTS=300 BENCH_WRITE_ROUNDS=3 BENCH_WRITE_CONNECTIONS=4)
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../src/db/database.js';
import { insertEpochs } from '../src/epochs/epochs.repository.js';
import { upsertPredictions } from '../src/predictions/predictions.repository.js';
import { cpuSeconds } from './lib/cpu.js';
import { copyIn } from './lib/copy-baseline.js';
import { median } from './lib/ingest-run.js';
import { realNights } from './lib/nights.js';
import { epochsCopyData, predictionsCopyData, type NightRows } from './lib/pgcopy-binary.js';
import { Reporter } from './lib/report.js';
import { BenchStack } from './lib/stack.js';

const NIGHTS = Number(process.env['BENCH_WRITE_NIGHTS'] ?? 300);
const ROUNDS = Number(process.env['BENCH_WRITE_ROUNDS'] ?? 3);
const CONNECTIONS = Number(process.env['BENCH_WRITE_CONNECTIONS'] ?? 4);
const LABELS = ['wake', 'light', 'deep', 'rem'];
const EPOCH_COLUMNS = ['recording_id', 'epoch_index', 'ts', 'features'];
const PREDICTION_COLUMNS = ['recording_id', 'epoch_index', 'ts', 'model_version', 'stage', 'probabilities'];

interface Lane {
  readonly pool: pg.Pool;
  readonly db: Kysely<Database>;
  readonly backend: number;
}

const ownCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const textTs = (night: NightRows, k: number) => new Date(night.startedAt.getTime() + night.indices[k]! * night.epochSeconds * 1000).toISOString();
const textArray = (values: Float32Array, from: number, n: number) => `{${Array.from(values.subarray(from, from + n)).join(',')}}`;

type Write = (lane: Lane, night: NightRows) => Promise<void>;
const WRITES: Record<string, Write> = {
  'INSERT … unnest (the service)': async (lane, night) => {
    const recording = { id: night.recordingId, started_at: night.startedAt, epoch_seconds: night.epochSeconds };
    await lane.db.transaction().execute(async (trx) => {
      await insertEpochs(trx, recording, night.indices, night.features, night.nFeatures, true);
      await upsertPredictions(trx, recording, { modelVersion: night.modelVersion, labels: night.labels, indices: night.indices, probabilities: night.probabilities, classes: night.classes }, false);
    });
  },
  'binary COPY per night': async (lane, night) => {
    const client = await lane.pool.connect();
    try {
      await client.query('BEGIN');
      await copyIn(client, 'epochs', EPOCH_COLUMNS, epochsCopyData(night), true);
      await copyIn(client, 'predictions', PREDICTION_COLUMNS, predictionsCopyData(night), true);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  },
  'text COPY per night': async (lane, night) => {
    const n = night.indices.length;
    const c = night.labels.length;
    let epochs = '';
    let predictions = '';
    for (let k = 0; k < n; k++) {
      const key = `${night.recordingId}\t${night.indices[k]}\t${textTs(night, k)}`;
      epochs += `${key}\t${textArray(night.features, k * night.nFeatures, night.nFeatures)}\n`;
      predictions += `${key}\t${night.modelVersion}\t${night.labels[night.classes[k]!]}\t${textArray(night.probabilities, k * c, c)}\n`;
    }
    const client = await lane.pool.connect();
    try {
      await client.query('BEGIN');
      await copyIn(client, 'epochs', EPOCH_COLUMNS, Buffer.from(epochs));
      await copyIn(client, 'predictions', PREDICTION_COLUMNS, Buffer.from(predictions));
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  },
};

interface Sample {
  readonly epochs: number;
  readonly seconds: number;
  readonly backendCpu: number;
  readonly clientCpu: number;
  readonly walBytes: number;
}

const report = new Reporter('write path: one night per transaction');
report.info(`${NIGHTS} real nights per variant and round, ${ROUNDS} alternating rounds, ${CONNECTIONS} connections; each night's rows go to a recording of their own`);
const stack = await BenchStack.create();
const lanes: Lane[] = [];
try {
  for (let i = 0; i < CONNECTIONS; i++) {
    // One connection each, never closed while idle: its backend's CPU is what is read.
    const pool = new pg.Pool({ connectionString: stack.testEnv.database.url, max: 1, idleTimeoutMillis: 0 });
    const backend = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    lanes.push({ pool, db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), backend });
  }
  const nights = realNights();
  const wal = async () => Number((await sql<{ lsn: string }>`SELECT (pg_current_wal_insert_lsn() - '0/0')::text AS lsn`.execute(stack.db)).rows[0]!.lsn);
  const samples = new Map<string, Sample[]>(Object.keys(WRITES).map((name) => [name, []]));

  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, write] of Object.entries(WRITES)) {
      const recordings = await stack.createRecordings(NIGHTS);
      const rows: NightRows[] = recordings.map((recordingId, k) => {
        const night = nights[k % nights.length]!;
        const count = night.features.length;
        const features = new Float32Array(count * 5);
        night.features.forEach((row, i) => features.set(row, i * 5));
        // Predictions of a fixed shape: what is written is measured, not how it was scored.
        const probabilities = new Float32Array(count * LABELS.length).map((_, i) => ((i * 37) % 101) / 101);
        const classes = Uint8Array.from({ length: count }, (_, i) => (i * 7) % LABELS.length);
        return { recordingId, startedAt: new Date('2026-11-01T22:00:00Z'), epochSeconds: 30, indices: Int32Array.from(night.indices), features, nFeatures: 5, modelVersion: 'bench-v1', labels: LABELS, probabilities, classes };
      });
      await sql`CHECKPOINT`.execute(stack.db);
      const wal0 = await wal();
      const backend0 = lanes.reduce((a, l) => a + cpuSeconds(l.backend), 0);
      const client0 = ownCpu();
      const t0 = performance.now();
      let next = 0;
      await Promise.all(lanes.map(async (lane) => {
        for (let k = next++; k < rows.length; k = next++) await write(lane, rows[k]!);
      }));
      const sample: Sample = {
        epochs: rows.reduce((a, r) => a + r.indices.length, 0),
        seconds: (performance.now() - t0) / 1000,
        backendCpu: lanes.reduce((a, l) => a + cpuSeconds(l.backend), 0) - backend0,
        clientCpu: ownCpu() - client0,
        walBytes: (await wal()) - wal0,
      };
      samples.get(name)!.push(sample);
      report.info(`round ${round}, ${name}: ${Math.round(sample.epochs / sample.seconds).toLocaleString('en-US')} epochs/s, postgres ${((1000 * sample.backendCpu) / sample.epochs).toFixed(4)} and client ${((1000 * sample.clientCpu) / sample.epochs).toFixed(4)} CPU-s per 1,000 epochs, WAL ${(sample.walBytes / sample.epochs).toFixed(0)} bytes per epoch`);
    }
  }

  const per1k = (xs: Sample[], k: 'backendCpu' | 'clientCpu') => median(xs.map((s) => (1000 * s[k]) / s.epochs));
  const service = samples.get('INSERT … unnest (the service)')!;
  for (const [name, xs] of samples) {
    const isService = xs === service;
    report.add({
      name: `${name}: PostgreSQL CPU per 1,000 epochs (epoch + prediction rows), median`,
      value: per1k(xs, 'backendCpu'),
      unit: 'CPU-s',
      ...(isService ? {} : { baseline: { name: 'INSERT … unnest, median', value: per1k(service, 'backendCpu') }, ratio: per1k(service, 'backendCpu') / per1k(xs, 'backendCpu') }),
      note: `client ${per1k(xs, 'clientCpu').toFixed(4)} CPU-s per 1,000 epochs; ${Math.round(median(xs.map((s) => s.epochs / s.seconds))).toLocaleString('en-US')} epochs/s; WAL ${Math.round(median(xs.map((s) => s.walBytes / s.epochs)))} bytes per epoch`,
    });
  }

  // One trivial statement's round trip, as kysely sends it (extended protocol, unnamed statement).
  const lane = lanes[0]!;
  const CALLS = 5000;
  const b0 = cpuSeconds(lane.backend);
  const c0 = ownCpu();
  for (let i = 0; i < CALLS; i++) await sql`SELECT ${i}::int AS i`.execute(lane.db);
  report.add({
    name: 'one trivial statement round trip (SELECT $1 through kysely and pg): PostgreSQL CPU',
    value: ((cpuSeconds(lane.backend) - b0) / CALLS) * 1e6,
    unit: 'µs',
    note: `client ${(((ownCpu() - c0) / CALLS) * 1e6).toFixed(0)} µs; ${CALLS} sequential calls on one connection`,
  });
} finally {
  for (const lane of lanes) await lane.db.destroy();
  await stack.dispose();
}
