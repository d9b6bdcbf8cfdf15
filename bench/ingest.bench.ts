// End-to-end ingest: many clients POST whole real nights (packed and list form) while worker
// processes score and store them; epochs per second from the first request to the last prediction
// stored, against COPY of the same epoch and prediction rows into the same tables. Each run is a
// fresh stack followed by its COPY baseline, so end-to-end and COPY alternate; the target is read
// on the median ratio of the runs, since single runs on a shared machine vary. Each run is made in
// two shapes, alternating: co-located (PostgreSQL, API, worker, Redis and load generator share every
// core) and database-bound (PostgreSQL on a core of its own in both phases, core-pinning.ts), the
// shape of production, where the application tier runs on other machines and the database is the
// shared resource. BENCH_SPLIT=0 skips the second shape.
//   npm run bench:ingest   (BENCH_RUNS=3 BENCH_INGEST_SECONDS=20 BENCH_CLIENTS=16 BENCH_WORKERS=1
//                           BENCH_WORKER_CONCURRENCY=4 BENCH_MODEL=<default>)
import { median, runIngest, type IngestRun } from './lib/ingest-run.js';
import { mib, percentile, Reporter } from './lib/report.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SECONDS = Number(process.env['BENCH_INGEST_SECONDS'] ?? 20);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 16);
const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 1);
const CONCURRENCY = process.env['BENCH_WORKER_CONCURRENCY'] ?? '4';
/** Active model (default: the registry's default version). */
const MODEL = process.env['BENCH_MODEL'];
const SPLIT = process.env['BENCH_SPLIT'] !== '0';
// Profiling: BENCH_WORKER_NODE_OPTIONS="--import $PWD/bench/lib/cpu-profile.mjs" CPU_PROFILE_DIR=/tmp/prof
const PROFILE = process.env['BENCH_WORKER_NODE_OPTIONS'];
const workerExtra: Record<string, string> = PROFILE ? { NODE_OPTIONS: PROFILE, CPU_PROFILE_DIR: process.env['CPU_PROFILE_DIR'] ?? '.' } : {};
// The same for the API process: BENCH_API_NODE_OPTIONS.
const API_PROFILE = process.env['BENCH_API_NODE_OPTIONS'];
const apiExtra: Record<string, string> = API_PROFILE ? { NODE_OPTIONS: API_PROFILE, CPU_PROFILE_DIR: process.env['CPU_PROFILE_DIR'] ?? '.' } : {};

const report = new Reporter('end-to-end ingest');
report.info(`${RUNS} run(s) per shape, each: ${CLIENTS} clients for ${SECONDS} s against API + ${WORKERS} worker process(es) × concurrency ${CONCURRENCY}, then COPY of the same rows`);
const shapes = SPLIT ? (['co-located', 'database on its own core'] as const) : (['co-located'] as const);
type Shape = (typeof shapes)[number];
const runs = new Map<Shape, IngestRun[]>(shapes.map((shape) => [shape, []]));
for (let r = 1; r <= RUNS; r++) {
  for (const shape of shapes) {
    report.info(`run ${r}/${RUNS}, ${shape}`);
    const run = await runIngest({ seconds: SECONDS, clients: CLIENTS, workers: WORKERS, apiProcesses: 1, concurrency: CONCURRENCY, model: MODEL, workerExtra, apiExtra, copyBaseline: true, splitCores: shape !== 'co-located' }, (t) => report.info(t));
    runs.get(shape)!.push(run);
    const c = run.copy!;
    report.info(`run ${r}, ${shape}: end-to-end ${Math.round(run.rate).toLocaleString('en-US')} epochs/s, COPY ${Math.round(c.rate).toLocaleString('en-US')} epochs/s, ratio ${(run.rate / c.rate).toFixed(2)}; load average ${run.loadBefore} before, ${run.loadAfter} after`);
  }
}

const ours = (run: IngestRun) => run.cpu.api + run.cpu.workers + run.cpu.postgres + run.cpu.client;
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const perRun = (xs: number[]) => `ratio per run ${xs.map((x) => x.toFixed(2)).join(', ')}`;
for (const shape of shapes) {
  const set = runs.get(shape)!;
  const ratios = set.map((run) => run.rate / run.copy!.rate);
  const ratio = median(ratios);
  report.add({
    name: `end-to-end ingest, ${shape} (median of ${RUNS} runs)`,
    value: median(set.map((run) => run.rate)),
    unit: 'epochs/s',
    baseline: { name: `COPY of the same epoch + prediction rows (2 connections), ${shape}, median`, value: median(set.map((run) => run.copy!.rate)) },
    ratio,
    target: `>= 0.7 (median of ${RUNS} alternating runs)`,
    met: RUNS >= 3 && ratio >= 0.7,
    note: `${perRun(ratios)} (range ${range(ratios)}); load average at start ${set.map((run) => run.loadBefore.split(' ')[0]).join(', ')}`,
  });
  // PostgreSQL's work per stored epoch against COPY's: what the shared tier pays for the pipeline.
  const pgRatios = set.map((run) => run.copy!.postgresCpu / run.cpu.postgres);
  report.add({
    name: `PostgreSQL CPU per stored epoch, ${shape}: COPY's / the pipeline's, median`,
    value: median(set.map((run) => (1000 * run.cpu.postgres) / run.epochs)),
    unit: 'CPU-s per 1,000 epochs',
    baseline: { name: 'COPY, median', value: median(set.map((run) => (1000 * run.copy!.postgresCpu) / run.epochs)) },
    ratio: median(pgRatios),
    note: perRun(pgRatios),
  });
}

const all = [...runs.values()].flat();
const colocated = runs.get('co-located')!;
// The same comparison per CPU second (our processes and our database only), which other load skews less.
const cpuRatios = colocated.map((run) => run.copy!.postgresCpu / ours(run));
report.add({
  name: 'end-to-end ingest per CPU second (API + workers + postgres + client), co-located, median',
  value: median(colocated.map((run) => run.epochs / ours(run))),
  unit: 'epochs/CPU-s',
  baseline: { name: 'COPY per postgres CPU second, median', value: median(colocated.map((run) => run.epochs / run.copy!.postgresCpu)) },
  ratio: median(cpuRatios),
  note: perRun(cpuRatios),
});
const per1k = (k: 'api' | 'workers' | 'postgres') => median(colocated.map((run) => (1000 * run.cpu[k]) / run.epochs));
report.add({ name: 'CPU seconds per 1,000 epochs stored, co-located: API / workers / postgres (medians)', value: per1k('api') + per1k('workers') + per1k('postgres'), unit: 'CPU-s', note: `API ${per1k('api').toFixed(3)}, workers ${per1k('workers').toFixed(3)}, postgres ${per1k('postgres').toFixed(3)}; COPY postgres ${median(colocated.map((run) => (1000 * run.copy!.postgresCpu) / run.epochs)).toFixed(3)}` });
report.add({ name: 'WAL bytes per stored epoch (epoch + prediction), median of all runs', value: median(all.map((run) => run.walBytes / run.epochs)), unit: 'bytes', baseline: { name: 'COPY of the same rows, median', value: median(all.map((run) => run.copy!.walBytes / run.epochs)) } });
report.add({ name: `POST /v1/epochs:ingest latency p50 (${CLIENTS} closed-loop clients, saturating), co-located, median`, value: median(colocated.map((run) => percentile(run.latencies, 50))), unit: 'ms' });
report.add({ name: `POST /v1/epochs:ingest latency p99 (${CLIENTS} closed-loop clients, saturating), co-located, median`, value: median(colocated.map((run) => percentile(run.latencies, 99))), unit: 'ms' });
for (const name of all[0]!.peaks.map((p) => p.name)) {
  report.add({ name: `${name} peak RSS (largest of the runs)`, value: mib(Math.max(...all.map((run) => run.peaks.find((p) => p.name === name)?.bytes ?? 0))), unit: 'MiB' });
}
const growth = colocated.at(-1)!.workerGrowth;
report.add({ name: 'worker RSS growth in the last co-located run (max after the first quarter of epochs / RSS at it)', value: growth.ratio, unit: '×', target: '<= 1.25 (flat)', met: growth.ratio <= 1.25, note: `${mib(growth.early).toFixed(0)} → ${mib(growth.late).toFixed(0)} MiB` });
