// Night scoring cost per upload pattern, with a whole-night (context) model active: real nights of
// about 950 epochs sent as 1 packed request, as 10 and as 100 parts back to back (one client), as
// 100 parts paced evenly over BENCH_NIGHT_PACED_SECONDS, and one epoch per request (a few clients
// of one tenant). Per pattern, the median over the nights of: predictions written per stored epoch
// (noctis_predictions_written_total, split per night by the queues' completed events), scorings of
// the night (the inline first upload + queued night scorings), time from the first request to the
// last ingest job completed; and the worker CPU seconds of the pattern. Every night's final
// predictions must equal those of the same night sent in one request (same stage and probabilities
// for every epoch), or the bench fails.
//   npm run bench:night   (BENCH_MODEL=<the registry's default active version> BENCH_MODELS_DIR=models
//                          BENCH_NIGHT_RECORDINGS=5 BENCH_NIGHT_PACED_SECONDS=60 BENCH_NIGHT_PACED_PARTS=100
//                          BENCH_NIGHT_SINGLE_CLIENTS=4 BENCH_WORKERS=1 BENCH_WORKER_CONCURRENCY=4;
//                          optional: BENCH_NIGHT_PATTERNS=one,10,100,paced,slow,single to run some patterns only,
//                          BENCH_NIGHT_DEBOUNCE_MS and BENCH_NIGHT_MAX_WAIT_SECONDS to override
//                          NIGHT_SCORING_DEBOUNCE_MS and NIGHT_SCORING_MAX_WAIT_SECONDS)
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { loadConfig } from '../src/config/config.js';
import type { IngestResult } from '../src/ingest/ingest.processor.js';
import { createLogger } from '../src/logging/logger.js';
import { ModelRegistry } from '../src/models/model-registry.js';
import type { NightScoringOutcome } from '../src/night-scoring/night-scoring.processor.js';
import { nightJobKey } from '../src/night-scoring/night-scoring.queue.js';
import { bullPrefix } from '../src/queues/queues.js';
import { SHIPPED_MODELS_DIR, TEST_REDIS_URL } from '../test/helpers/services.js';
import { FEATURE_SCHEMA_VERSION, packRows, type Night } from '../test/helpers/sleep-data.js';
import { cpuSeconds, postgresCpuSeconds } from './lib/cpu.js';
import { describeMachine } from './lib/machine.js';
import { realNights } from './lib/nights.js';
import { Reporter } from './lib/report.js';
import { BENCH_HEADERS, BenchStack, type Proc } from './lib/stack.js';

const MODELS_DIR = path.resolve(process.env['BENCH_MODELS_DIR'] ?? SHIPPED_MODELS_DIR);
const MODEL = process.env['BENCH_MODEL'] || undefined;
const RECORDINGS = Number(process.env['BENCH_NIGHT_RECORDINGS'] ?? 5);
const PACED_SECONDS = Number(process.env['BENCH_NIGHT_PACED_SECONDS'] ?? 60);
const PACED_PARTS = Number(process.env['BENCH_NIGHT_PACED_PARTS'] ?? 100);
const SINGLE_CLIENTS = Number(process.env['BENCH_NIGHT_SINGLE_CLIENTS'] ?? 4);
/** Patterns to run (comma-separated keys: one,10,100,paced,slow,single); the one-request night always runs, as the reference. */
const ONLY = process.env['BENCH_NIGHT_PATTERNS']?.split(',').map((s) => s.trim()).filter(Boolean);
const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 1);
const CONCURRENCY = process.env['BENCH_WORKER_CONCURRENCY'] ?? '4';
const DEBOUNCE_MS = process.env['BENCH_NIGHT_DEBOUNCE_MS'];
const MAX_WAIT_SECONDS = process.env['BENCH_NIGHT_MAX_WAIT_SECONDS'];
/** Nights about this long are chosen (the issue's "one real night"). */
const NIGHT_EPOCHS = 950;
/** Predictions written per stored epoch that a night sent in 100 parts within a minute must stay under. */
const TARGET_WRITES_PER_EPOCH = 3;
/** How long after its last request a night may take to complete before the bench gives up. */
const DRAIN_TIMEOUT_MS = 180_000;

for (const [name, value, min] of [['BENCH_NIGHT_RECORDINGS', RECORDINGS, 1], ['BENCH_NIGHT_PACED_SECONDS', PACED_SECONDS, 0], ['BENCH_NIGHT_PACED_PARTS', PACED_PARTS, 1], ['BENCH_NIGHT_SINGLE_CLIENTS', SINGLE_CLIENTS, 1], ['BENCH_WORKERS', WORKERS, 1]] as const) {
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}, not ${String(value)}`);
}

// The model: the registry's own choice (or BENCH_MODEL) from the models folder, refused unless an
// epoch's prediction depends on its whole night: a per-epoch model has no night scoring to measure.
const registry = new ModelRegistry(MODELS_DIR, createLogger('silent'));
await registry.load(MODEL);
const model = registry.active();
const which = MODEL ? `BENCH_MODEL=${MODEL}` : 'the default active version';
if (!model) throw new Error(`night-scoring bench: no model to run (${which} in ${MODELS_DIR}): ${registry.current().activeError}`);
if (!model.wholeNight) {
  throw new Error(
    `night-scoring bench: model ${model.version} (${which} in ${MODELS_DIR}) is not a whole-night model (its pipeline has no rolling window, night z-score or decoder), ` +
      `so ingest scores each upload alone and there is no night scoring to measure. Set BENCH_MODEL to a context model (one with a pipeline.json that needs the night), or BENCH_MODELS_DIR to a folder holding one.`,
  );
}
if (model.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) throw new Error(`night-scoring bench: model ${model.version} reads feature schema ${model.featureSchemaVersion}, not the shared nights' ${FEATURE_SCHEMA_VERSION}`);
const VERSION = model.version;

// The nights: those closest to NIGHT_EPOCHS epochs, preferring nights without gaps in their epoch
// indices (they travel packed; a slice with a gap is sent in list form).
const contiguous = (indices: readonly number[]) => indices.every((v, k) => k === 0 || v === indices[k - 1]! + 1);
const allNights = realNights();
if (RECORDINGS > allNights.length) throw new Error(`BENCH_NIGHT_RECORDINGS=${RECORDINGS}, but the shared data has ${allNights.length} nights`);
const nights: Night[] = [...allNights]
  .sort((a, b) => Number(contiguous(b.indices)) - Number(contiguous(a.indices)) || Math.abs(a.features.length - NIGHT_EPOCHS) - Math.abs(b.features.length - NIGHT_EPOCHS) || a.subject.localeCompare(b.subject))
  .slice(0, RECORDINGS);

/** One request body holding positions [from, to) of the night. */
function sliceBody(night: Night, recordingId: string, from: number, to: number): string {
  const indices = night.indices.slice(from, to);
  const rows = night.features.slice(from, to);
  return JSON.stringify(
    contiguous(indices)
      ? { recording_id: recordingId, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: indices[0], packed: packRows(rows) }
      : { recording_id: recordingId, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: indices.map((epoch_index, k) => ({ epoch_index, features: rows[k] })) },
  );
}

/** The night cut into `parts` contiguous slices of (nearly) equal size, in order. */
function partBodies(night: Night, recordingId: string, parts: number): string[] {
  const n = night.features.length;
  const bodies: string[] = [];
  for (let k = 0; k < parts; k++) {
    const from = Math.round((k * n) / parts);
    const to = Math.round(((k + 1) * n) / parts);
    if (to > from) bodies.push(sliceBody(night, recordingId, from, to));
  }
  return bodies;
}

type Sending = { kind: 'back-to-back' } | { kind: 'paced'; seconds: number } | { kind: 'clients'; clients: number };
interface Pattern {
  readonly key: string;
  readonly name: string;
  /** Requests per night (the night's epoch count for one epoch per request). */
  readonly parts: number | 'epochs';
  readonly sending: Sending;
  /** Nights of the pattern run at once (paced) or one after another (the rest). */
  readonly together: boolean;
  readonly target: boolean;
}
const ALL_PATTERNS: Pattern[] = [
  { key: 'one', name: '1 packed request', parts: 1, sending: { kind: 'back-to-back' }, together: false, target: false },
  { key: '10', name: '10 parts back to back', parts: 10, sending: { kind: 'back-to-back' }, together: false, target: false },
  { key: '100', name: '100 parts back to back', parts: 100, sending: { kind: 'back-to-back' }, together: false, target: true },
  { key: 'paced', name: `${PACED_PARTS} parts paced over ${PACED_SECONDS} s`, parts: PACED_PARTS, sending: { kind: 'paced', seconds: PACED_SECONDS }, together: true, target: PACED_PARTS === 100 && PACED_SECONDS <= 60 },
  // Gaps just over the default 1 s debounce: without the scoring budget each part was its own scoring.
  { key: 'slow', name: '50 parts paced over 60 s', parts: 50, sending: { kind: 'paced', seconds: 60 }, together: true, target: false },
  { key: 'single', name: `one epoch per request (${SINGLE_CLIENTS} clients)`, parts: 'epochs', sending: { kind: 'clients', clients: SINGLE_CLIENTS }, together: false, target: false },
];
const unknown = ONLY?.filter((k) => !ALL_PATTERNS.some((p) => p.key === k)) ?? [];
if (unknown.length > 0) throw new Error(`BENCH_NIGHT_PATTERNS: unknown ${unknown.join(', ')} (keys: ${ALL_PATTERNS.map((p) => p.key).join(', ')})`);
const PATTERNS = ALL_PATTERNS.filter((p) => p.key === 'one' || !ONLY || ONLY.includes(p.key));

interface NightRun {
  readonly night: Night;
  readonly recordingId: string;
  readonly bodies: string[];
  readonly jobIds: string[];
  startedAt: number;
  sentAt: number;
  doneAt: number;
}

const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (v: number, digits = 2) => v.toFixed(digits);

const report = new Reporter('night scoring per upload pattern');
report.info(describeMachine());
const overrides: Record<string, string> = { MODELS_DIR, ACTIVE_MODEL_VERSION: VERSION, WORKER_CONCURRENCY: CONCURRENCY };
if (DEBOUNCE_MS !== undefined) overrides['NIGHT_SCORING_DEBOUNCE_MS'] = DEBOUNCE_MS;
if (MAX_WAIT_SECONDS !== undefined) overrides['NIGHT_SCORING_MAX_WAIT_SECONDS'] = MAX_WAIT_SECONDS;
const stack = await BenchStack.create(overrides);
const config = loadConfig(stack.env());
const redis: Redis[] = [];
const connect = () => {
  const c = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  redis.push(c);
  return c;
};
const listeners: QueueEvents[] = [];
let nightQueue: Queue | null = null;
const mismatches: string[] = [];
try {
  // Who wrote what: the ingest queue's completed events carry the result of an upload scored inline
  // (null for one that waits for its night), the night queue's carry each scoring's outcome.
  const prefix = bullPrefix(stack.testEnv.queuePrefix);
  const inlineEvents: Array<{ jobId: string; result: IngestResult }> = [];
  const nightEvents: Array<NightScoringOutcome & { readonly jobId: string }> = [];
  const parse = (v: unknown): unknown => (typeof v === 'string' ? JSON.parse(v) : v);
  const ingestEvents = new QueueEvents('ingest', { connection: connect(), prefix });
  const scoringEvents = new QueueEvents('night', { connection: connect(), prefix });
  listeners.push(ingestEvents, scoringEvents);
  ingestEvents.on('completed', ({ jobId, returnvalue }) => {
    const result = parse(returnvalue) as IngestResult | null;
    if (result) inlineEvents.push({ jobId, result });
  });
  scoringEvents.on('completed', ({ jobId, returnvalue }) => {
    const outcome = parse(returnvalue) as NightScoringOutcome | null;
    if (outcome) nightEvents.push({ ...outcome, jobId });
  });
  await Promise.all(listeners.map((l) => l.waitUntilReady()));
  nightQueue = new Queue('night', { connection: connect(), prefix });

  const api = await stack.startApi();
  const workers: Proc[] = [];
  for (let w = 0; w < WORKERS; w++) workers.push(await stack.startWorker());
  report.info(
    `model ${VERSION} (${which}, whole-night) from ${MODELS_DIR}; NIGHT_SCORING_DEBOUNCE_MS ${config.NIGHT_SCORING_DEBOUNCE_MS}, NIGHT_SCORING_MAX_WAIT_SECONDS ${config.NIGHT_SCORING_MAX_WAIT_SECONDS}; API + ${WORKERS} worker process(es) × concurrency ${CONCURRENCY}`,
  );
  report.info(`${nights.length} real nights per pattern: ${nights.map((n) => `${n.subject} (${n.features.length} epochs${contiguous(n.indices) ? '' : ', with gaps: list form'})`).join(', ')}`);

  // Worker metrics: predictions written (the counter the figure is read from) and night jobs completed.
  const metric = async (name: string, labels: Record<string, string>): Promise<number> => {
    let total = 0;
    for (const w of workers) {
      const text = await (await fetch(`${w.baseUrl}/metrics`)).text();
      for (const line of text.split('\n')) {
        const m = /^([a-z_]+)\{([^}]*)\}\s+(\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
      }
    }
    return total;
  };
  const written = () => metric('noctis_predictions_written_total', { model_version: VERSION });
  const nightJobsDone = () => metric('noctis_job_duration_seconds_count', { queue: 'night', outcome: 'completed' });
  const workerCpu = () => workers.reduce((a, w) => a + cpuSeconds(w.handle.child.pid!), 0);

  const post = async (body: string): Promise<string> => {
    const res = await fetch(`${api.baseUrl}/v1/epochs:ingest`, { method: 'POST', headers: BENCH_HEADERS, body });
    const text = await res.text();
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${text}`);
    return (JSON.parse(text) as { job_id: string }).job_id;
  };

  const send = async (run: NightRun, sending: Sending, offsetMs: number): Promise<void> => {
    if (offsetMs > 0) await sleep(offsetMs);
    run.startedAt = performance.now();
    if (sending.kind === 'back-to-back') {
      for (const body of run.bodies) run.jobIds.push(await post(body));
    } else if (sending.kind === 'paced') {
      const every = (sending.seconds * 1000) / run.bodies.length;
      for (let k = 0; k < run.bodies.length; k++) {
        const wait = run.startedAt + k * every - performance.now();
        if (wait > 0) await sleep(wait);
        run.jobIds.push(await post(run.bodies[k]!));
      }
    } else {
      let next = 0;
      await Promise.all(
        Array.from({ length: sending.clients }, async () => {
          for (let k = next++; k < run.bodies.length; k = next++) run.jobIds.push(await post(run.bodies[k]!));
        }),
      );
    }
    run.sentAt = performance.now();
  };

  /** Polls until every ingest job of the night is completed (fails on a failed one). */
  const drain = async (run: NightRun): Promise<void> => {
    const deadline = run.sentAt + DRAIN_TIMEOUT_MS;
    for (;;) {
      const row = await sql<{ done: number; failed: number; error: unknown }>`
        SELECT count(*) FILTER (WHERE state = 'completed')::int AS done,
               count(*) FILTER (WHERE state = 'failed')::int AS failed,
               (array_agg(error) FILTER (WHERE state = 'failed'))[1] AS error
        FROM jobs WHERE recording_id = ${run.recordingId}::uuid`.execute(stack.db);
      const { done, failed, error } = row.rows[0]!;
      if (failed > 0) throw new Error(`night ${run.night.subject}: ${failed} ingest jobs failed: ${JSON.stringify(error)}`);
      if (done === run.jobIds.length) {
        run.doneAt = performance.now();
        return;
      }
      if (performance.now() > deadline) throw new Error(`night ${run.night.subject}: ${done} of ${run.jobIds.length} ingest jobs completed ${DRAIN_TIMEOUT_MS / 1000} s after the last request`);
      await sleep(20);
    }
  };

  const references = new Map<string, string>(); // subject → recording of the night sent in one request
  for (const pattern of PATTERNS) {
    const recordingIds = await stack.createRecordings(nights.length);
    const runs: NightRun[] = nights.map((night, i) => ({
      night,
      recordingId: recordingIds[i]!,
      bodies: pattern.parts === 'epochs' ? partBodies(night, recordingIds[i]!, night.features.length) : partBodies(night, recordingIds[i]!, pattern.parts),
      jobIds: [],
      startedAt: 0,
      sentAt: 0,
      doneAt: 0,
    }));
    const inline0 = inlineEvents.length;
    const night0 = nightEvents.length;
    const written0 = await written();
    const nightJobs0 = await nightJobsDone();
    const cpu0 = { workers: workerCpu(), api: cpuSeconds(api.handle.child.pid!), postgres: postgresCpuSeconds() };
    const started = performance.now();
    if (pattern.together) {
      // Each night paced by its own client, their schedules staggered across one interval.
      const stagger = pattern.sending.kind === 'paced' ? (pattern.sending.seconds * 1000) / runs[0]!.bodies.length / runs.length : 0;
      await Promise.all(runs.map(async (run, i) => {
        await send(run, pattern.sending, i * stagger);
        await drain(run);
      }));
    } else {
      for (const run of runs) {
        await send(run, pattern.sending, 0);
        await drain(run);
      }
    }
    // Settle: no scoring queued or running, and the events and counters have caught up (a scoring
    // may run with nothing left to do after the last job completed, and counters move after commit).
    const jobRecording = new Map(runs.flatMap((r) => r.jobIds.map((id) => [id, r.recordingId] as const)));
    type Tally = { inline: number; inlineScorings: number; queued: number; empty: number; queuedWritten: number };
    let tallies = new Map<string, Tally>();
    let counted = { written: 0, nightJobs: 0, attributed: 0, scorings: 0 };
    const settleDeadline = performance.now() + 30_000;
    for (;;) {
      const counts = await nightQueue.getJobCounts('waiting', 'delayed', 'active', 'prioritized', 'waiting-children');
      const idle = Object.values(counts).every((n) => n === 0);
      tallies = new Map(runs.map((r) => [r.recordingId, { inline: 0, inlineScorings: 0, queued: 0, empty: 0, queuedWritten: 0 }]));
      let scorings = 0;
      for (const e of inlineEvents.slice(inline0)) {
        const t = tallies.get(jobRecording.get(e.jobId) ?? '');
        if (!t || e.result.model_version !== VERSION) continue;
        t.inline += e.result.predicted;
        t.inlineScorings += 1;
      }
      // Night job ids name their recording by a hash (night-<key>-<generation>).
      const byKey = new Map(runs.map((r) => [nightJobKey(r.recordingId), r.recordingId]));
      for (const e of nightEvents.slice(night0)) {
        const t = tallies.get(byKey.get(e.jobId.split('-')[1]!) ?? '');
        if (!t) continue;
        scorings += 1;
        if (e.jobs > 0) t.queued += 1;
        else t.empty += 1;
        t.queuedWritten += e.written;
      }
      const attributed = [...tallies.values()].reduce((a, t) => a + t.inline + t.queuedWritten, 0);
      counted = { written: (await written()) - written0, nightJobs: (await nightJobsDone()) - nightJobs0, attributed, scorings };
      if (idle && counted.written === attributed && counted.nightJobs === scorings) break;
      if (performance.now() > settleDeadline) {
        throw new Error(`${pattern.name}: events and counters disagree after the last job completed: queue ${JSON.stringify(counts)}, counter ${counted.written} written vs ${attributed} attributed per night, ${counted.nightJobs} night jobs completed vs ${scorings} completed events`);
      }
      await sleep(50);
    }
    const cpu1 = { workers: workerCpu(), api: cpuSeconds(api.handle.child.pid!), postgres: postgresCpuSeconds() };
    const elapsed = (performance.now() - started) / 1000;

    // The outcome must be the night sent in one request: same epochs, stage and probabilities.
    for (const run of runs) {
      const check = await sql<{ epochs: number; predictions: number; other_versions: number }>`
        SELECT (SELECT count(*) FROM epochs WHERE recording_id = ${run.recordingId}::uuid)::int AS epochs,
               (SELECT count(*) FROM predictions WHERE recording_id = ${run.recordingId}::uuid AND model_version = ${VERSION})::int AS predictions,
               (SELECT count(*) FROM predictions WHERE recording_id = ${run.recordingId}::uuid AND model_version <> ${VERSION})::int AS other_versions`.execute(stack.db);
      const { epochs, predictions, other_versions } = check.rows[0]!;
      const n = run.night.features.length;
      if (epochs !== n || predictions !== n || other_versions !== 0) mismatches.push(`${pattern.name}, night ${run.night.subject}: ${epochs} epochs, ${predictions} predictions of ${VERSION} and ${other_versions} of other versions stored for ${n} sent`);
      const reference = references.get(run.night.subject);
      if (reference === undefined) continue;
      const diff = await sql<{ differ: number; first: number | null }>`
        SELECT count(*)::int AS differ, min(coalesce(a.epoch_index, b.epoch_index)) AS first
        FROM (SELECT epoch_index, stage, probabilities FROM predictions WHERE recording_id = ${reference}::uuid AND model_version = ${VERSION}) a
        FULL JOIN (SELECT epoch_index, stage, probabilities FROM predictions WHERE recording_id = ${run.recordingId}::uuid AND model_version = ${VERSION}) b USING (epoch_index)
        WHERE a.stage IS DISTINCT FROM b.stage OR a.probabilities IS DISTINCT FROM b.probabilities`.execute(stack.db);
      const { differ, first } = diff.rows[0]!;
      if (differ > 0) mismatches.push(`${pattern.name}, night ${run.night.subject}: ${differ} of ${n} epochs differ from the night sent in one request (first at epoch_index ${first})`);
    }
    if (pattern.parts === 1) for (const run of runs) references.set(run.night.subject, run.recordingId);

    // Per night, then the medians.
    const perNight = runs.map((run) => {
      const t = tallies.get(run.recordingId)!;
      const epochs = run.night.features.length;
      const total = t.inline + t.queuedWritten;
      return { run, epochs, total, perEpoch: total / epochs, scorings: t.inlineScorings + t.queued, tally: t, seconds: (run.doneAt - run.startedAt) / 1000, sending: (run.sentAt - run.startedAt) / 1000 };
    });
    for (const p of perNight) {
      report.info(
        `${pattern.name}, night ${p.run.night.subject}: ${p.run.jobIds.length} requests sent in ${fmt(p.sending)} s, last job completed at ${fmt(p.seconds)} s; ` +
          `${p.scorings} scorings (${p.tally.inlineScorings} inline + ${p.tally.queued} queued${p.tally.empty ? `, ${p.tally.empty} queued with nothing left to score` : ''}); ` +
          `${p.total} predictions written (${p.tally.inline} inline + ${p.tally.queuedWritten} by night scorings) = ${fmt(p.perEpoch)} per stored epoch`,
      );
    }
    const epochsAll = perNight.reduce((a, p) => a + p.epochs, 0);
    const perEpoch = perNight.map((p) => p.perEpoch);
    const med = median(perEpoch);
    report.add({
      name: `${pattern.name}: predictions written per stored epoch (median of ${runs.length} nights)`,
      value: med,
      unit: 'writes/epoch',
      ...(pattern.target ? { target: `< ${TARGET_WRITES_PER_EPOCH}`, met: med < TARGET_WRITES_PER_EPOCH } : {}),
      note: `min ${fmt(Math.min(...perEpoch))}, max ${fmt(Math.max(...perEpoch))}; ${counted.written} written for ${epochsAll} stored epochs = ${fmt(counted.written / epochsAll)} overall`,
    });
    const scorings = perNight.map((p) => p.scorings);
    report.add({
      name: `${pattern.name}: scorings of the night (median)`,
      value: median(scorings),
      unit: 'scorings',
      note: `min ${Math.min(...scorings)}, max ${Math.max(...scorings)}; inline first upload + queued night scorings${counted.scorings > perNight.reduce((a, p) => a + p.tally.queued, 0) ? `; ${perNight.reduce((a, p) => a + p.tally.empty, 0)} night jobs found nothing to score` : ''}`,
    });
    const seconds = perNight.map((p) => p.seconds);
    report.add({
      name: `${pattern.name}: first request → last job completed (median)`,
      value: median(seconds),
      unit: 's',
      note: `min ${fmt(Math.min(...seconds))}, max ${fmt(Math.max(...seconds))}; sending took ${fmt(median(perNight.map((p) => p.sending)))} s (median)`,
    });
    const workerSeconds = cpu1.workers - cpu0.workers;
    report.add({
      name: `${pattern.name}: worker CPU (all ${runs.length} nights)`,
      value: workerSeconds,
      unit: 'CPU s',
      note: `${fmt(workerSeconds / runs.length, 3)} per night; API ${fmt(cpu1.api - cpu0.api)} s, postgres ${fmt(cpu1.postgres - cpu0.postgres)} s over the pattern's ${fmt(elapsed, 1)} s`,
    });
    for (const m of mismatches.filter((m) => m.startsWith(`${pattern.name},`))) report.info(`MISMATCH ${m}`);
  }
  if (mismatches.length > 0) throw new Error(`night-scoring bench: ${mismatches.length} night(s) did not end with the predictions of the night sent in one request:\n  ${mismatches.join('\n  ')}`);
} finally {
  await Promise.all(listeners.map((l) => l.close().catch(() => undefined)));
  await nightQueue?.close().catch(() => undefined);
  for (const c of redis) c.disconnect();
  await stack.dispose();
}
