// Scaling: end-to-end ingest (as bench/ingest.bench.ts) with 1, 2 and 4 worker processes behind one
// API process, and with 2 API processes (WEB_CONCURRENCY=2, the node:cluster mode production uses)
// with 2 workers. Per configuration: epochs/s, CPU seconds per 1,000 stored epochs for the API, the
// workers, PostgreSQL (our database's backends and the server's writers) and Redis (a redis-server of
// the bench's own, so nobody else's traffic is counted), and peak RSS per process. The baseline is the
// 1-worker configuration of the same run (speed-up), and COPY of its rows once. Figures feed SCALING.md.
//   npm run bench:scaling   (BENCH_SCALING_SECONDS=20 BENCH_SCALING_ROUNDS=1 BENCH_CLIENTS=16
//                            BENCH_WORKER_CONCURRENCY=4)
import { startRedis } from '../test/helpers/processes.js';
import { cpuSeconds } from './lib/cpu.js';
import { median, runIngest, type IngestRun } from './lib/ingest-run.js';
import { findProcess } from './lib/process-meter.js';
import { mib, Reporter } from './lib/report.js';

const SECONDS = Number(process.env['BENCH_SCALING_SECONDS'] ?? 20);
const ROUNDS = Number(process.env['BENCH_SCALING_ROUNDS'] ?? 1);
const CLIENTS = Number(process.env['BENCH_CLIENTS'] ?? 16);
const CONCURRENCY = process.env['BENCH_WORKER_CONCURRENCY'] ?? '4';
/** A night in the capacity model: 8 hours of 30-second epochs. */
const NIGHT_EPOCHS = 960;

interface Config {
  readonly label: string;
  readonly api: number;
  readonly workers: number;
}
const CONFIGS: readonly Config[] = [
  { label: '1 API, 1 worker', api: 1, workers: 1 },
  { label: '1 API, 2 workers', api: 1, workers: 2 },
  { label: '1 API, 4 workers', api: 1, workers: 4 },
  { label: '2 API (cluster), 2 workers', api: 2, workers: 2 },
];

const report = new Reporter('scaling (processes on this machine)');
const redis = await startRedis();
const redisPid = findProcess('redis-server', String(redis.port));
if (redisPid === null) throw new Error('could not find the bench-owned redis-server process');
report.info(`${ROUNDS} round(s) of ${CONFIGS.map((c) => c.label).join(' / ')}; ${CLIENTS} clients for ${SECONDS} s each, worker concurrency ${CONCURRENCY}; own redis-server on port ${redis.port}`);

const results = new Map<string, IngestRun[]>(CONFIGS.map((c) => [c.label, []]));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate the order between rounds so a drift in machine load does not favour one end.
    const order = round % 2 ? CONFIGS : [...CONFIGS].reverse();
    for (const config of order) {
      report.info(`round ${round}: ${config.label}`);
      const run = await runIngest(
        {
          seconds: SECONDS,
          clients: CLIENTS,
          workers: config.workers,
          apiProcesses: config.api,
          concurrency: CONCURRENCY,
          extraEnv: { REDIS_URL: redis.url },
          extraCpu: () => ({ redis: cpuSeconds(redisPid) }),
          copyBaseline: round === 1 && config.workers === 1,
          rowSizes: round === 1 && config.workers === 1,
        },
        (t) => report.info(t),
      );
      report.info(`${config.label}: ${Math.round(run.rate).toLocaleString('en-US')} epochs/s; load average ${run.loadBefore} before, ${run.loadAfter} after`);
      results.get(config.label)!.push(run);
    }
  }
} finally {
  await redis.stop();
}

const first = results.get(CONFIGS[0]!.label)!;
const baseRate = median(first.map((r) => r.rate));
const copy = first.find((r) => r.copy)!.copy!;
const rows = first.find((r) => r.rowBytes)!.rowBytes!;
report.info(`bytes per stored row incl. indexes: epoch ${rows.epoch.toFixed(0)}, prediction ${rows.prediction.toFixed(0)}, job row per night ${rows.job.toFixed(0)}`);
report.info(`COPY of the 1-worker run's rows: ${Math.round(copy.rate).toLocaleString('en-US')} epochs/s, ${((1000 * copy.postgresCpu) / first[0]!.epochs).toFixed(3)} postgres CPU-s per 1,000 epochs`);

const per1k = (runs: IngestRun[], k: string) => median(runs.map((r) => (1000 * (r.cpu[k] ?? NaN)) / r.epochs));
for (const config of CONFIGS) {
  const runs = results.get(config.label)!;
  const rate = median(runs.map((r) => r.rate));
  const busy = median(runs.map((r) => r.cpu.machine / (2 * r.elapsed)));
  const ourCpu = (r: IngestRun) => r.cpu.api + r.cpu.workers + r.cpu.postgres + (r.cpu['redis'] ?? 0) + r.cpu.client;
  const ours = median(runs.map((r) => ourCpu(r) / (2 * r.elapsed)));
  // Derived, not observed: the rate if our processes had had both cores to themselves.
  const bothCores = median(runs.map((r) => (2 * r.epochs) / ourCpu(r)));
  report.add({
    name: `${config.label}: end-to-end ingest`,
    value: rate,
    unit: 'epochs/s',
    baseline: { name: '1 API, 1 worker (same run)', value: baseRate },
    ratio: rate / baseRate,
    note: `${(rate / NIGHT_EPOCHS).toFixed(1)} nights of ${NIGHT_EPOCHS}/s; cores busy: machine ${(100 * busy).toFixed(0)} %, ours ${(100 * ours).toFixed(0)} % (with both cores ours: ~${Math.round(bothCores / 1000)}k epochs/s, derived); load average at start ${runs.map((r) => r.loadBefore.split(' ')[0]).join(', ')}`,
  });
  const parts = ['api', 'workers', 'postgres', 'redis', 'client'].map((k) => `${k} ${per1k(runs, k).toFixed(3)}`);
  report.add({ name: `${config.label}: CPU seconds per 1,000 epochs (API + workers + postgres + redis)`, value: ['api', 'workers', 'postgres', 'redis'].reduce((a, k) => a + per1k(runs, k), 0), unit: 'CPU-s', note: parts.join(', ') });
  const peaks = runs[0]!.peaks.map((p) => `${p.name} ${Math.round(mib(Math.max(...runs.map((r) => r.peaks.find((q) => q.name === p.name)?.bytes ?? 0))))}`);
  report.add({ name: `${config.label}: peak RSS, largest process`, value: mib(Math.max(...runs.flatMap((r) => r.peaks.map((p) => p.bytes)))), unit: 'MiB', note: `MiB: ${peaks.join(', ')}` });
}
