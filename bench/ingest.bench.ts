// End-to-end ingest: many clients POST whole real nights (packed and list form) while worker
// processes score and store them; epochs per second from the first request to the last prediction
// stored, against COPY of the same epoch and prediction rows into the same tables. Each run is a
// fresh stack followed by its COPY baseline, so end-to-end and COPY alternate; the target is read
// on the median ratio of the runs, since single runs on a shared machine vary.
//   npm run bench:ingest   (BENCH_RUNS=3 BENCH_INGEST_SECONDS=30 BENCH_CLIENTS=16 BENCH_WORKERS=1
//                           BENCH_WORKER_CONCURRENCY=4 BENCH_MODEL=<default>)
import { median, runIngest, type IngestRun } from './lib/ingest-run.js';
import { mib, percentile, Reporter } from './lib/report.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SECONDS = Number(process.env['BENCH_INGEST_SECONDS'] ?? 30);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 16);
const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 1);
const CONCURRENCY = process.env['BENCH_WORKER_CONCURRENCY'] ?? '4';
/** Active model (default: the registry's default version). */
const MODEL = process.env['BENCH_MODEL'];
// Profiling: BENCH_WORKER_NODE_OPTIONS="--import $PWD/bench/lib/cpu-profile.mjs" CPU_PROFILE_DIR=/tmp/prof
const PROFILE = process.env['BENCH_WORKER_NODE_OPTIONS'];
const workerExtra: Record<string, string> = PROFILE ? { NODE_OPTIONS: PROFILE, CPU_PROFILE_DIR: process.env['CPU_PROFILE_DIR'] ?? '.' } : {};

const report = new Reporter('end-to-end ingest');
report.info(`${RUNS} run(s), each: ${CLIENTS} clients for ${SECONDS} s against API + ${WORKERS} worker process(es) × concurrency ${CONCURRENCY}, then COPY of the same rows`);
const runs: IngestRun[] = [];
for (let r = 1; r <= RUNS; r++) {
  report.info(`run ${r}/${RUNS}`);
  const run = await runIngest({ seconds: SECONDS, clients: CLIENTS, workers: WORKERS, apiProcesses: 1, concurrency: CONCURRENCY, model: MODEL, workerExtra, copyBaseline: true }, (t) => report.info(t));
  runs.push(run);
  const c = run.copy!;
  report.info(`run ${r}: end-to-end ${Math.round(run.rate).toLocaleString('en-US')} epochs/s, COPY ${Math.round(c.rate).toLocaleString('en-US')} epochs/s, ratio ${(run.rate / c.rate).toFixed(2)}; load average ${run.loadBefore} before, ${run.loadAfter} after`);
}

const ours = (run: IngestRun) => run.cpu.api + run.cpu.workers + run.cpu.postgres + run.cpu.client;
const ratios = runs.map((run) => run.rate / run.copy!.rate);
const cpuRatios = runs.map((run) => run.copy!.postgresCpu / ours(run));
const range = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
const ratio = median(ratios);
report.add({
  name: `end-to-end ingest (median of ${RUNS} runs)`,
  value: median(runs.map((run) => run.rate)),
  unit: 'epochs/s',
  baseline: { name: 'COPY of the same epoch + prediction rows (2 connections), median', value: median(runs.map((run) => run.copy!.rate)) },
  ratio,
  target: `>= 0.7 (median of ${RUNS} alternating runs)`,
  met: RUNS >= 3 && ratio >= 0.7,
  note: `ratio per run ${ratios.map((x) => x.toFixed(2)).join(', ')} (range ${range(ratios)}); load average at start ${runs.map((run) => run.loadBefore.split(' ')[0]).join(', ')}`,
});
// The same comparison per CPU second (our processes and our database only), which other load skews less.
report.add({
  name: 'end-to-end ingest per CPU second (API + workers + postgres + client), median',
  value: median(runs.map((run) => run.epochs / ours(run))),
  unit: 'epochs/CPU-s',
  baseline: { name: 'COPY per postgres CPU second, median', value: median(runs.map((run) => run.epochs / run.copy!.postgresCpu)) },
  ratio: median(cpuRatios),
  note: `ratio per run ${cpuRatios.map((x) => x.toFixed(2)).join(', ')}`,
});
const per1k = (k: 'api' | 'workers' | 'postgres') => median(runs.map((run) => (1000 * run.cpu[k]) / run.epochs));
report.add({ name: 'CPU seconds per 1,000 epochs stored: API / workers / postgres (medians)', value: per1k('api') + per1k('workers') + per1k('postgres'), unit: 'CPU-s', note: `API ${per1k('api').toFixed(3)}, workers ${per1k('workers').toFixed(3)}, postgres ${per1k('postgres').toFixed(3)}; COPY postgres ${median(runs.map((run) => (1000 * run.copy!.postgresCpu) / run.epochs)).toFixed(3)}` });
report.add({ name: 'WAL bytes per stored epoch (epoch + prediction), median', value: median(runs.map((run) => run.walBytes / run.epochs)), unit: 'bytes', baseline: { name: 'COPY of the same rows, median', value: median(runs.map((run) => run.copy!.walBytes / run.epochs)) } });
report.add({ name: `POST /v1/epochs:ingest latency p50 (${CLIENTS} closed-loop clients, saturating), median`, value: median(runs.map((run) => percentile(run.latencies, 50))), unit: 'ms' });
report.add({ name: `POST /v1/epochs:ingest latency p99 (${CLIENTS} closed-loop clients, saturating), median`, value: median(runs.map((run) => percentile(run.latencies, 99))), unit: 'ms' });
for (const name of runs[0]!.peaks.map((p) => p.name)) {
  report.add({ name: `${name} peak RSS (largest of the runs)`, value: mib(Math.max(...runs.map((run) => run.peaks.find((p) => p.name === name)?.bytes ?? 0))), unit: 'MiB' });
}
const growth = runs.at(-1)!.workerGrowth;
report.add({ name: 'worker RSS growth in the last run (max after the first quarter of epochs / RSS at it)', value: growth.ratio, unit: '×', target: '<= 1.25 (flat)', met: growth.ratio <= 1.25, note: `${mib(growth.early).toFixed(0)} → ${mib(growth.late).toFixed(0)} MiB` });
