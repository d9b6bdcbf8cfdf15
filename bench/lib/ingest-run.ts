// One end-to-end ingest run against real processes, shared by bench/ingest.bench.ts (repeated runs
// against COPY) and bench/scaling.bench.ts (1, 2, 4 workers; 2 API processes).
import { sql } from 'kysely';
import { loadavg } from 'node:os';
import pg from 'pg';
import { copyIn, copyOut, splitLines } from './copy-baseline.js';
import { splitCores } from './core-pinning.js';
import { cpuSeconds, machineBusySeconds } from './cpu.js';
import { RssSampler } from './memory.js';
import { listBody, packedBody, realNights } from './nights.js';
import { childPids, DatabaseCpuMeter } from './process-meter.js';
import { BENCH_HEADERS, BenchStack, withRecording, type Proc } from './stack.js';

export interface IngestRunOptions {
  readonly seconds: number;
  readonly clients: number;
  readonly workers: number;
  /** 1: one web process; more: one web entry point with WEB_CONCURRENCY (node:cluster), as production runs several. */
  readonly apiProcesses: number;
  readonly concurrency: string;
  readonly model?: string | undefined;
  /** Environment added to the worker processes (profiling). */
  readonly workerExtra?: Record<string, string>;
  /** Environment added to the API process (profiling). */
  readonly apiExtra?: Record<string, string>;
  /** Environment added to every process (for example REDIS_URL of a bench-owned Redis). */
  readonly extraEnv?: Record<string, string>;
  /** Also COPY the same rows into the emptied tables after the run (the baseline). */
  readonly copyBaseline: boolean;
  /** Also measure bytes per stored row (pg_total_relation_size / rows) before the baseline. */
  readonly rowSizes?: boolean;
  /**
   * PostgreSQL on a core of its own, the application, Redis and the load generator on the others
   * (core-pinning.ts), for both the run and its COPY baseline: the database-bound shape production
   * has when the application tier runs on other machines. Throws when the cores cannot be split.
   */
  readonly splitCores?: boolean;
  /** CPU seconds of extra processes to attribute (for example a bench-owned redis-server). */
  readonly extraCpu?: () => Record<string, number>;
}

export interface CpuBreakdown {
  api: number;
  workers: number;
  /** Our database's backends plus the server-wide writers (DatabaseCpuMeter). */
  postgres: number;
  client: number;
  machine: number;
  [extra: string]: number;
}

export interface IngestRun {
  readonly epochs: number;
  readonly nights: number;
  readonly postedFor: number;
  readonly elapsed: number;
  readonly rate: number;
  readonly cpu: CpuBreakdown;
  readonly copy?: { readonly seconds: number; readonly rate: number; readonly postgresCpu: number; readonly machineCpu: number; readonly walBytes: number };
  /** WAL the server wrote during the run (server-wide: other databases' writes count too). */
  readonly walBytes: number;
  readonly latencies: readonly number[];
  readonly peaks: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
  readonly workerGrowth: { early: number; late: number; ratio: number };
  readonly rowBytes?: { readonly epoch: number; readonly prediction: number; readonly job: number };
  readonly loadBefore: string;
  readonly loadAfter: string;
}

const load = () => loadavg().map((l) => l.toFixed(1)).join(' ');

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Clients POST whole real nights (packed and list form alternating) for `seconds`; the run ends
 * when the last accepted job has its epochs and predictions stored. The stack (own database and
 * queue prefix) is made and dropped here, so runs do not share state.
 */
export async function runIngest(opts: IngestRunOptions, info: (text: string) => void): Promise<IngestRun> {
  const loadBefore = load();
  const split = opts.splitCores ? splitCores() : null;
  if (typeof split === 'string') throw new Error(`cannot give PostgreSQL its own core: ${split}`);
  if (split) info(`cores split: PostgreSQL on ${split.database}, application, Redis and load generator on ${split.application}`);
  try {
    return await runOn(opts, loadBefore, info);
  } finally {
    split?.restore();
  }
}

async function runOn(opts: IngestRunOptions, loadBefore: string, info: (text: string) => void): Promise<IngestRun> {
  const stack = await BenchStack.create({ WORKER_CONCURRENCY: opts.concurrency, ...(opts.model ? { ACTIVE_MODEL_VERSION: opts.model } : {}), ...opts.extraEnv });
  const dbCpu = new DatabaseCpuMeter(stack.testEnv.database.name);
  const samplers: RssSampler[] = [];
  try {
    const api = await stack.startApi({ ...opts.apiExtra, ...(opts.apiProcesses > 1 ? { WEB_CONCURRENCY: String(opts.apiProcesses) } : {}) });
    const apiPid = api.handle.child.pid!;
    // In cluster mode the primary only forks; the API processes are its children.
    let apiChildren: number[] = [];
    if (opts.apiProcesses > 1) {
      const deadline = Date.now() + 60_000;
      while ((apiChildren = childPids(apiPid)).length < opts.apiProcesses) {
        if (Date.now() > deadline) throw new Error(`only ${apiChildren.length} of ${opts.apiProcesses} API processes started`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // Each must have opened its listener and database pool before the clock starts.
      for (let i = 0; i < 20; i++) await fetch(`${api.baseUrl}/readyz`).then((r) => r.text());
    }
    const apiRss = apiChildren.map((pid) => new RssSampler(pid));
    samplers.push(...apiRss);
    const workers: Proc[] = [];
    for (let w = 0; w < opts.workers; w++) workers.push(await stack.startWorker(opts.workerExtra ?? {}));
    const nights = realNights();
    const bodies = nights.flatMap((night) => [packedBody(night), listBody(night)]);
    const recordings = await stack.createRecordings(40_000);

    let next = 0;
    let acceptedEpochs = 0;
    let acceptedJobs = 0;
    const latencies: number[] = [];
    const apiCpu = () => cpuSeconds(apiPid) + apiChildren.reduce((a, p) => a + cpuSeconds(p), 0);
    const cpuAt = (): CpuBreakdown => ({
      api: apiCpu(),
      workers: workers.reduce((a, w) => a + cpuSeconds(w.handle.child.pid!), 0),
      postgres: dbCpu.seconds(),
      client: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
      machine: machineBusySeconds(),
      ...opts.extraCpu?.(),
    });
    // Each measured phase starts just after a checkpoint: otherwise whichever phase a WAL-volume
    // checkpoint lands in pays its full-page writes, which moved COPY's cost by 15 % between runs.
    await sql`CHECKPOINT`.execute(stack.db);
    const wal0 = await walPosition(stack);
    const cpu0 = cpuAt();
    const started = performance.now();
    const deadline = started + opts.seconds * 1000;
    await Promise.all(
      Array.from({ length: opts.clients }, async () => {
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
      const row = await sql<{ done: number; failed: number; epochs: number }>`
        SELECT count(*) FILTER (WHERE state = 'completed')::int AS done,
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
    const walBytes = (await walPosition(stack)) - wal0;
    const cpu = Object.fromEntries(Object.keys(cpu1).map((k) => [k, cpu1[k]! - (cpu0[k] ?? 0)])) as CpuBreakdown;
    const pgSplit = dbCpu.breakdown();
    const peaks = [
      { name: opts.apiProcesses > 1 ? 'API primary' : 'API', bytes: api.rss.peak() },
      ...apiRss.map((s, i) => ({ name: `API process ${i + 1}`, bytes: s.peak() })),
      ...workers.map((w) => ({ name: w.name, bytes: w.rss.peak() })),
    ];
    const workerGrowth = workers[0]!.rss.growth(acceptedEpochs);

    const counts = await sql<{ epochs: number; predictions: number }>`
      SELECT (SELECT count(*) FROM epochs)::int AS epochs, (SELECT count(*) FROM predictions)::int AS predictions`.execute(stack.db);
    const { epochs, predictions } = counts.rows[0]!;
    if (epochs !== acceptedEpochs || predictions !== acceptedEpochs) throw new Error(`stored ${epochs} epochs and ${predictions} predictions for ${acceptedEpochs} accepted`);
    info(`${acceptedJobs} nights, ${acceptedEpochs.toLocaleString('en-US')} epochs accepted in ${postedFor.toFixed(1)} s; last prediction stored at ${elapsed.toFixed(1)} s`);
    info(`CPU seconds (2 cores × ${elapsed.toFixed(0)} s = ${(2 * elapsed).toFixed(0)} s available): ${Object.entries(cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} (machine includes anything else running); WAL ${(walBytes / acceptedEpochs).toFixed(0)} bytes per epoch; postgres: ${Object.entries(pgSplit).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);

    let rowBytes: IngestRun['rowBytes'];
    if (opts.rowSizes) {
      await sql`VACUUM ANALYZE epochs, predictions, jobs`.execute(stack.db);
      const size = await sql<{ epochs: string; predictions: string; jobs: string; njobs: number }>`
        SELECT pg_total_relation_size('epochs') AS epochs, pg_total_relation_size('predictions') AS predictions,
               pg_total_relation_size('jobs') AS jobs, (SELECT count(*) FROM jobs)::int AS njobs`.execute(stack.db);
      const s = size.rows[0]!;
      rowBytes = { epoch: Number(s.epochs) / epochs, prediction: Number(s.predictions) / predictions, job: Number(s.jobs) / s.njobs };
      info(`bytes per row incl. indexes (pg_total_relation_size / rows): epochs ${rowBytes.epoch.toFixed(0)}, predictions ${rowBytes.prediction.toFixed(0)}, jobs ${rowBytes.job.toFixed(0)} (per night)`);
    }

    // Stop the system under test before the baseline so nothing else competes for the cores.
    for (const p of stack.procs) await p.handle.kill('SIGTERM');
    const copy = opts.copyBaseline ? await copyBaseline(stack, acceptedEpochs, info) : undefined;
    return { epochs: acceptedEpochs, nights: acceptedJobs, postedFor, elapsed, rate: acceptedEpochs / elapsed, cpu, copy, latencies: latencies.sort((a, b) => a - b), peaks, workerGrowth, rowBytes, walBytes, loadBefore, loadAfter: load() };
  } finally {
    dbCpu.stop();
    for (const s of samplers) s.stop();
    await stack.dispose();
  }
}

/** The same rows, COPYed straight into the same (emptied) tables over two connections. */
async function copyBaseline(stack: BenchStack, expected: number, info: (text: string) => void): Promise<NonNullable<IngestRun['copy']>> {
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
  await sql`CHECKPOINT`.execute(stack.db);
  const wal0 = await walPosition(stack);
  const meter = new DatabaseCpuMeter(stack.testEnv.database.name);
  const machine0 = machineBusySeconds();
  const started = performance.now();
  await Promise.all(clients.map(async (c, i) => {
    await c.query('BEGIN');
    await copyIn(c, 'epochs', ['recording_id', 'epoch_index', 'ts', 'features'], epochParts[i]!);
    await copyIn(c, 'predictions', ['recording_id', 'epoch_index', 'ts', 'model_version', 'stage', 'probabilities'], predictionParts[i]!);
    await c.query('COMMIT');
  }));
  const seconds = (performance.now() - started) / 1000;
  const walBytes = (await walPosition(stack)) - wal0;
  const postgresCpu = meter.seconds();
  const split = meter.breakdown();
  meter.stop();
  const machineCpu = machineBusySeconds() - machine0;
  info(`baseline COPY: ${seconds.toFixed(1)} s, WAL ${(walBytes / expected).toFixed(0)} bytes per epoch, postgres ${postgresCpu.toFixed(1)} CPU s, machine ${machineCpu.toFixed(1)} CPU s of ${(2 * seconds).toFixed(1)} (postgres: ${Object.entries(split).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})`);
  await Promise.all(clients.map((c) => c.end()));
  const copied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM predictions`.execute(stack.db);
  if (copied.rows[0]!.n !== expected) throw new Error('baseline COPY stored a different number of rows');
  return { seconds, rate: expected / seconds, postgresCpu, machineCpu, walBytes };
}

/** The server's current WAL insert position in bytes. */
async function walPosition(stack: BenchStack): Promise<number> {
  const row = await sql<{ lsn: string }>`SELECT (pg_current_wal_insert_lsn() - '0/0')::text AS lsn`.execute(stack.db);
  return Number(row.rows[0]!.lsn);
}
