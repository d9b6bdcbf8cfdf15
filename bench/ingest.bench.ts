// End-to-end ingest: many clients POST whole real nights (packed and list form) while worker
// processes score and store them; epochs per second from the first request to the last prediction
// stored, against COPY of the same epoch and prediction rows into the same tables.
//   npm run bench:ingest            (BENCH_INGEST_SECONDS=60 BENCH_CLIENTS=16 BENCH_WORKERS=1 BENCH_MODEL=<default>)
import { sql } from 'kysely';
import pg from 'pg';
import { copyIn, copyOut, splitLines } from './lib/copy-baseline.js';
import { cpuSeconds, machineBusySeconds, postgresCpuSeconds } from './lib/cpu.js';
import { mib, percentile, Reporter } from './lib/report.js';
import { listBody, packedBody, realNights } from './lib/nights.js';
import { BENCH_HEADERS, BenchStack, withRecording, type Proc } from './lib/stack.js';

const SECONDS = Number(process.env['BENCH_INGEST_SECONDS'] ?? 60);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 16);
const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 1);
const CONCURRENCY = process.env['BENCH_WORKER_CONCURRENCY'] ?? '4';
/** Active model (default: the registry's default version). */
const MODEL = process.env['BENCH_MODEL'];

const report = new Reporter('end-to-end ingest');
const stack = await BenchStack.create({ WORKER_CONCURRENCY: CONCURRENCY, ...(MODEL ? { ACTIVE_MODEL_VERSION: MODEL } : {}) });
try {
  const api = await stack.startApi();
  // Profiling: BENCH_WORKER_NODE_OPTIONS="--import $PWD/bench/lib/cpu-profile.mjs" CPU_PROFILE_DIR=/tmp/prof
  const profile = process.env['BENCH_WORKER_NODE_OPTIONS'];
  const workerExtra: Record<string, string> = profile ? { NODE_OPTIONS: profile, CPU_PROFILE_DIR: process.env['CPU_PROFILE_DIR'] ?? '.' } : {};
  const workers: Proc[] = [];
  for (let w = 0; w < WORKERS; w++) workers.push(await stack.startWorker(workerExtra));
  const nights = realNights();
  const bodies = nights.flatMap((night) => [packedBody(night), listBody(night)]);
  const recordings = await stack.createRecordings(40_000);
  report.info(`${nights.length} real nights (${Math.min(...bodies.map((b) => b.epochs))}–${Math.max(...bodies.map((b) => b.epochs))} epochs), packed and list form alternating; ${CLIENTS} clients for ${SECONDS} s; API + ${WORKERS} worker process(es) × concurrency ${CONCURRENCY}`);

  let next = 0;
  let acceptedEpochs = 0;
  let acceptedJobs = 0;
  const latencies: number[] = [];
  const cpuAt = () => ({ api: cpuSeconds(api.handle.child.pid!), workers: workers.reduce((a, w) => a + cpuSeconds(w.handle.child.pid!), 0), postgres: postgresCpuSeconds(), client: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6, machine: machineBusySeconds() });
  const cpu0 = cpuAt();
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < deadline) {
        const k = next++;
        const body = bodies[k % bodies.length]!;
        const t0 = performance.now();
        const res = await fetch(`${api.baseUrl}/v1/epochs:ingest`, { method: 'POST', headers: BENCH_HEADERS, body: withRecording(body, recordings[k]!) });
        const text = await res.text();
        latencies.push(performance.now() - t0);
        if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${text}`);
        acceptedEpochs += body.epochs;
        acceptedJobs += 1;
      }
    }),
  );
  const postedFor = (performance.now() - started) / 1000;
  // Drain: poll until every accepted job has its epochs and predictions stored.
  for (;;) {
    const row = await sql<{ done: number; open: number; failed: number; epochs: number }>`
      SELECT count(*) FILTER (WHERE state = 'completed')::int AS done,
             count(*) FILTER (WHERE state IN ('queued', 'active'))::int AS open,
             count(*) FILTER (WHERE state = 'failed')::int AS failed,
             coalesce(sum((result->>'inserted')::int) FILTER (WHERE state = 'completed'), 0)::int AS epochs
      FROM jobs`.execute(stack.db);
    const { done, failed, epochs } = row.rows[0]!;
    for (const w of workers) w.rss.progress = epochs;
    if (failed > 0) throw new Error(`${failed} jobs failed`);
    if (done === acceptedJobs) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpu1 = cpuAt();
  const apiPeak = api.rss.peak();
  const workerPeaks = workers.map((w) => w.rss.peak());
  const growth = workers[0]!.rss.growth(acceptedEpochs);

  const counts = await sql<{ epochs: number; predictions: number }>`
    SELECT (SELECT count(*) FROM epochs)::int AS epochs, (SELECT count(*) FROM predictions)::int AS predictions`.execute(stack.db);
  const { epochs, predictions } = counts.rows[0]!;
  if (epochs !== acceptedEpochs || predictions !== acceptedEpochs) throw new Error(`stored ${epochs} epochs and ${predictions} predictions for ${acceptedEpochs} accepted`);
  report.info(`${acceptedJobs} nights, ${acceptedEpochs.toLocaleString('en-US')} epochs accepted in ${postedFor.toFixed(1)} s; last prediction stored at ${elapsed.toFixed(1)} s`);

  const share = (k: keyof typeof cpu0) => `${k} ${(cpu1[k] - cpu0[k]).toFixed(1)} s`;
  report.info(`CPU seconds over the run (2 cores × ${elapsed.toFixed(0)} s = ${(2 * elapsed).toFixed(0)} s available): ${(['api', 'workers', 'postgres', 'client', 'machine'] as const).map(share).join(', ')} (machine includes anything else running)`);

  // Stop the system under test before the baseline so nothing else competes for the cores.
  for (const p of stack.procs) await p.handle.kill('SIGTERM');

  // Baseline: the same rows, COPYed straight into the same (emptied) tables over two connections.
  const url = stack.testEnv.database.url;
  const epochRows = await copyOut(url, 'SELECT recording_id, epoch_index, ts, features FROM epochs');
  const predictionRows = await copyOut(url, 'SELECT recording_id, epoch_index, ts, model_version, stage, probabilities FROM predictions');
  await sql`TRUNCATE epochs, predictions`.execute(stack.db);
  await sql`VACUUM ANALYZE epochs`.execute(stack.db);
  await sql`VACUUM ANALYZE predictions`.execute(stack.db);
  const clients = await Promise.all([0, 1].map(async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  const epochParts = splitLines(epochRows, 2);
  const predictionParts = splitLines(predictionRows, 2);
  const copyCpu0 = { postgres: postgresCpuSeconds(), machine: machineBusySeconds() };
  const copyStarted = performance.now();
  await Promise.all(clients.map(async (c, i) => {
    await c.query('BEGIN');
    await copyIn(c, 'epochs', ['recording_id', 'epoch_index', 'ts', 'features'], epochParts[i]!);
    await copyIn(c, 'predictions', ['recording_id', 'epoch_index', 'ts', 'model_version', 'stage', 'probabilities'], predictionParts[i]!);
    await c.query('COMMIT');
  }));
  const copySeconds = (performance.now() - copyStarted) / 1000;
  const copyPgCpu = postgresCpuSeconds() - copyCpu0.postgres;
  report.info(`baseline COPY: ${copySeconds.toFixed(1)} s, postgres ${copyPgCpu.toFixed(1)} CPU s, machine ${(machineBusySeconds() - copyCpu0.machine).toFixed(1)} CPU s of ${(2 * copySeconds).toFixed(1)}`);
  await Promise.all(clients.map((c) => c.end()));
  const copied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM predictions`.execute(stack.db);
  if (copied.rows[0]!.n !== acceptedEpochs) throw new Error('baseline COPY stored a different number of rows');

  const rate = acceptedEpochs / elapsed;
  const baseline = acceptedEpochs / copySeconds;
  report.add({ name: 'end-to-end ingest', value: rate, unit: 'epochs/s', baseline: { name: 'COPY of the same epoch + prediction rows (2 connections)', value: baseline }, ratio: rate / baseline, target: '>= 0.5', met: rate / baseline >= 0.5, note: `${acceptedEpochs} epochs over ${elapsed.toFixed(1)} s` });
  // The same comparison per CPU second (our processes only), which other load on the machine skews less.
  const ourCpu = cpu1.api - cpu0.api + cpu1.workers - cpu0.workers + cpu1.postgres - cpu0.postgres + cpu1.client - cpu0.client;
  report.add({ name: 'end-to-end ingest per CPU second (API + workers + postgres + client)', value: acceptedEpochs / ourCpu, unit: 'epochs/CPU-s', baseline: { name: 'COPY per postgres CPU second', value: acceptedEpochs / copyPgCpu }, ratio: copyPgCpu / ourCpu });
  latencies.sort((a, b) => a - b);
  report.add({ name: `POST /v1/epochs:ingest latency p50 (${CLIENTS} closed-loop clients, saturating)`, value: percentile(latencies, 50), unit: 'ms' });
  report.add({ name: `POST /v1/epochs:ingest latency p99 (${CLIENTS} closed-loop clients, saturating)`, value: percentile(latencies, 99), unit: 'ms' });
  report.add({ name: 'API peak RSS', value: mib(apiPeak), unit: 'MiB' });
  workerPeaks.forEach((peak, i) => report.add({ name: `worker${i + 1} peak RSS`, value: mib(peak), unit: 'MiB' }));
  report.add({ name: 'worker RSS growth (max after the first quarter of epochs / RSS at it)', value: growth.ratio, unit: '×', target: '<= 1.25 (flat)', met: growth.ratio <= 1.25, note: `${mib(growth.early).toFixed(0)} → ${mib(growth.late).toFixed(0)} MiB` });
} finally {
  await stack.dispose();
}
