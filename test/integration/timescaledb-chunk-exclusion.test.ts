import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql, type CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import type { Database, RecordingRow } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrator.js';
import { upsertDevice } from '../../src/devices/devices.repository.js';
import { hasStoredEpochs, insertEpochs, listEpochs, loadStoredNight } from '../../src/epochs/epochs.repository.js';
import { labelledPairCounts, labelledPredictions } from '../../src/evaluation/evaluation.repository.js';
import { insertJob } from '../../src/jobs/jobs.repository.js';
import { countLabels, hasLabels, listLabels, upsertLabels } from '../../src/labels/labels.repository.js';
import { listPredictions, upsertPredictions } from '../../src/predictions/predictions.repository.js';
import { epochWindow } from '../../src/recordings/epoch-window.js';
import { countEpochs, epochStats, insertRecording } from '../../src/recordings/recordings.repository.js';
import { countWithEpochs, insertChunks, type RescoreParams } from '../../src/rescore/rescore.repository.js';
import { storedEpochSpan } from '../../src/summary/hypnogram.repository.js';
import { startTimescalePglite, timescalePgliteUnavailable, type TimescalePglite } from '../helpers/timescale-pglite.js';

// Every read of one recording in the hypertables carries a ts range derived from the recording, so
// TimescaleDB looks only into that recording's chunks however many weeks of other nights the tables
// hold. Each repository read runs through a logging Kysely; every statement it sent is then run
// again under EXPLAIN (plan-time exclusion) and EXPLAIN ANALYZE (chunks actually scanned).
const unavailable = await timescalePgliteUnavailable();
const title = 'chunk exclusion on TimescaleDB (PGlite build)' + (unavailable ? ` [skipped: ${unavailable}]` : '');

const WEEKS = 30;
const RECORDING_EPOCHS = 5760;
const DAY_MS = 86_400_000;
const N_FEATURES = 5;
const MODEL = 'm1';

interface PlanNode {
  'Relation Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

/** Chunk tables a plan names (planned) and those it actually scanned (Actual Loops > 0). */
function chunksOf(node: PlanNode, planned: Set<string>, scanned: Set<string>): void {
  const name = node['Relation Name'];
  if (name !== undefined && /_hyper_\d+_\d+_chunk$/.test(name)) {
    planned.add(name);
    if ((node['Actual Loops'] ?? 0) > 0) scanned.add(name);
  }
  for (const child of node.Plans ?? []) chunksOf(child, planned, scanned);
}

describe.skipIf(unavailable !== null)(title, () => {
  let engine: TimescalePglite;
  let handle: DbHandle;
  let target: RecordingRow;
  /** Chunks of the three hypertables that overlap the target recording's span. */
  let ownChunks: Set<string>;
  let allChunks: number;

  beforeAll(async () => {
    engine = await startTimescalePglite();
    handle = createDb(engine.url, 1);
    await migrateToLatest(handle.db);
    const db = handle.db;
    const { row: device } = await upsertDevice(db, 'default', { external_id: 'chunks' });
    const recording = (startedAt: Date, tenant: string) =>
      insertRecording(db, { device_id: device.id, started_at: startedAt.toISOString(), feature_schema_version: 'test-v1', tenant, epoch_seconds: 30, metadata: {} });
    const store = async (rec: RecordingRow, count: number) => {
      const indices = Int32Array.from({ length: count }, (_, k) => k);
      await insertEpochs(db, rec, indices, new Float32Array(count * N_FEATURES).fill(0.5), N_FEATURES);
      const classes = Uint8Array.from({ length: count }, (_, k) => k % 2);
      await upsertPredictions(db, rec, { modelVersion: MODEL, labels: ['W', 'NREM'], indices, probabilities: new Float32Array(count * 2).fill(0.5), classes }, false);
      await upsertLabels(db, rec, Array.from(indices, (i) => ({ epoch_index: i, stage: i % 3 === 0 ? 'W' : 'N2' })));
    };
    // Weeks of other tenants' nights, one a week (a chunk each per table), and ours among them.
    const now = Date.now();
    for (let week = 1; week <= WEEKS; week++) await store(await recording(new Date(now - week * 7 * DAY_MS), 'others'), 4);
    target = await recording(new Date(Math.floor((now - 10.5 * 7 * DAY_MS) / 3_600_000) * 3_600_000), 'acme');
    await store(target, 120);
    const end = new Date(new Date(target.started_at).getTime() + RECORDING_EPOCHS * 30_000);
    const chunks = await sql<{ chunk_name: string; own: boolean }>`
      SELECT chunk_name, (range_start < ${end}::timestamptz AND range_end > ${target.started_at}::timestamptz) AS own
      FROM timescaledb_information.chunks WHERE hypertable_name IN ('epochs', 'predictions', 'labels')`.execute(db);
    ownChunks = new Set(chunks.rows.filter((c) => c.own).map((c) => c.chunk_name));
    allChunks = chunks.rows.length;
  });

  afterAll(async () => {
    await handle?.db.destroy();
    await engine?.stop();
  });

  /** Runs `reads` through a logging Kysely and returns, per statement, the chunks planned and scanned. */
  async function explainReads(reads: (db: Kysely<Database>) => Promise<unknown>) {
    const sent: CompiledQuery[] = [];
    const logging = new Kysely<Database>({ dialect: new PostgresDialect({ pool: handle.pool }), log: (event) => void sent.push(event.query) });
    await reads(logging);
    const hypertableReads = sent.filter((q) => /^\s*select/i.test(q.sql) && /\b(epochs|predictions|labels)\b/.test(q.sql));
    const out: Array<{ sql: string; planned: Set<string>; scanned: Set<string> }> = [];
    for (const query of hypertableReads) {
      const planned = new Set<string>();
      const scanned = new Set<string>();
      for (const explain of ['EXPLAIN (FORMAT JSON)', 'EXPLAIN (ANALYZE, FORMAT JSON)']) {
        const result = await handle.pool.query(`${explain} ${query.sql}`, [...query.parameters]);
        const plan = (result.rows[0] as { 'QUERY PLAN': Array<{ Plan: PlanNode }> })['QUERY PLAN'][0]!.Plan;
        chunksOf(plan, explain.includes('ANALYZE') ? new Set() : planned, explain.includes('ANALYZE') ? scanned : new Set());
      }
      out.push({ sql: query.sql.replace(/\s+/g, ' ').slice(0, 120), planned, scanned });
    }
    return out;
  }

  it('holds many weeks of chunks, of which the target recording overlaps a few', () => {
    expect(allChunks).toBeGreaterThanOrEqual(3 * WEEKS);
    expect(ownChunks.size).toBeGreaterThanOrEqual(3);
    expect(ownChunks.size).toBeLessThanOrEqual(6);
  });

  it("plans and scans only the recording's own chunks, for every read of one recording", async () => {
    const whole = epochWindow(target, RECORDING_EPOCHS);
    const part = epochWindow(target, RECORDING_EPOCHS, { fromIndex: 10, toIndex: 20 });
    const params: RescoreParams = { model_version: MODEL, recording_ids: [target.id], device_id: null, from: null, to: null, only_missing: false, chunk_epochs: 20_000, trigger: 'api' };
    const jobId = randomUUID();
    await insertJob(handle.db, { id: jobId, type: 'rescore', recordingId: null });
    const explained = await explainReads(async (db) => {
      await hasStoredEpochs(db, whole);
      await listEpochs(db, part, 10);
      await loadStoredNight(db, whole, N_FEATURES);
      await epochStats(db, whole);
      await countEpochs(db, part);
      await storedEpochSpan(db, part);
      await listPredictions(db, whole, MODEL, 100);
      await listLabels(db, part);
      await hasLabels(db, whole);
      await countLabels(db, whole);
      await labelledPairCounts(db, MODEL, whole);
      await labelledPredictions(db, whole, MODEL);
      // Re-score planning: every recording is counted inside its own span, its predictions too.
      expect(await countWithEpochs(db, params, [target], RECORDING_EPOCHS)).toBe(1);
      expect(await countWithEpochs(db, { ...params, only_missing: true }, [target], RECORDING_EPOCHS)).toBe(0);
      await db.transaction().execute((trx) => insertChunks(trx, jobId, params, [target], RECORDING_EPOCHS));
    });
    expect(explained).toHaveLength(15);
    const report: string[] = [];
    for (const { sql: text, planned, scanned } of explained) {
      report.push(`${planned.size} planned, ${scanned.size} scanned of ${allChunks}: ${text}`);
      expect([...planned].filter((c) => !ownChunks.has(c)), text).toEqual([]);
      expect([...scanned].filter((c) => !ownChunks.has(c)), text).toEqual([]);
      expect(planned.size, text).toBeGreaterThan(0);
    }
    console.info(report.join('\n'));
  });
});
