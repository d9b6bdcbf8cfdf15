// API latency under ingest load: POST /v1/epochs:ingest of one packed real night at a steady 50
// nights/s from a separate autocannon process while a worker scores and stores them; the same
// rate of GET /healthz from a second autocannon process at the same time is the baseline (the
// HTTP floor of this machine under this load).
//   npm run bench:latency           (BENCH_LATENCY_SECONDS=30 BENCH_LATENCY_RATE=50)
import { sql } from 'kysely';
import { runLoad } from './lib/load.js';
import { packedBody, realNights } from './lib/nights.js';
import { mib, Reporter } from './lib/report.js';
import { BENCH_HEADERS, BenchStack } from './lib/stack.js';

const SECONDS = Number(process.env['BENCH_LATENCY_SECONDS'] ?? 30);
const RATE = Number(process.env['BENCH_LATENCY_RATE'] ?? 50);

const report = new Reporter(`API latency at ${RATE} packed nights/s`);
const stack = await BenchStack.create();
try {
  const api = await stack.startApi();
  const nights = realNights();
  const bodies = nights.map((night) => packedBody(night));
  const recordings = await stack.createRecordings(Math.ceil(RATE * SECONDS * 2.4) + 100);
  const epochsPerNight = bodies.reduce((a, b) => a + b.epochs, 0) / bodies.length;
  report.info(`${SECONDS} s at ${RATE} req/s (10 connections), a mean night of ${Math.round(epochsPerNight)} epochs = ${Math.round(RATE * epochsPerNight).toLocaleString('en-US')} epochs/s offered; baseline GET /healthz at ${RATE} req/s alongside`);
  // Phase 1: the API alone (jobs queue up, nobody scores them): what the API itself costs.
  // Phase 2: the same load while a worker scores and stores the backlog and the new nights.
  const phase = async (label: string) => {
    const [ingest, health] = await Promise.all([
      runLoad({ url: api.baseUrl, method: 'POST', path: '/v1/epochs:ingest', connections: 10, duration: SECONDS, overallRate: RATE, headers: { ...BENCH_HEADERS }, bodies: bodies.map((b) => b.template), recordings: recordings.splice(0, Math.ceil(RATE * SECONDS * 1.2)) }),
      runLoad({ url: api.baseUrl, method: 'GET', path: '/healthz', connections: 2, duration: SECONDS, overallRate: RATE }),
    ]);
    const codes = Object.entries(ingest.statusCodeStats).map(([code, s]) => `${code}×${s.count}`).join(', ');
    report.info(`${label}: ${ingest.requests.total} requests (${codes}), ${ingest.errors} errors, ${ingest.timeouts} timeouts, ${(ingest.requests.total / ingest.duration).toFixed(1)} req/s achieved`);
    if (ingest.non2xx > 0 || ingest.errors > 0) throw new Error('ingest answered errors under load');
    return { ingest, health };
  };
  const alone = await phase('API alone (no worker running)');
  const worker = await stack.startWorker();
  const loaded = await phase('with a worker scoring and storing');
  const accepted = await sql<{ n: number }>`SELECT count(*)::int AS n FROM jobs`.execute(stack.db);
  report.info(`${accepted.rows[0]!.n} jobs accepted in both phases`);
  for (const [label, { ingest, health }] of [['with worker', loaded], ['API alone', alone]] as const) {
    report.add({ name: `POST /v1/epochs:ingest p50 (${label})`, value: ingest.latency.p50, unit: 'ms', baseline: { name: 'GET /healthz p50, same time', value: health.latency.p50 } });
    report.add({
      name: `POST /v1/epochs:ingest p99 (${label})`, value: ingest.latency.p99, unit: 'ms', baseline: { name: 'GET /healthz p99, same time', value: health.latency.p99 },
      ratio: ingest.latency.p99 / Math.max(health.latency.p99, 0.001), note: 'ratio = times the HTTP floor',
      ...(label === 'with worker' ? { target: `p99 < 25 ms at ${RATE} nights/s`, met: ingest.latency.p99 < 25 } : {}),
    });
  }
  report.add({ name: 'API peak RSS', value: mib(api.rss.peak()), unit: 'MiB' });
  report.add({ name: 'worker peak RSS', value: mib(worker.rss.peak()), unit: 'MiB' });
} finally {
  await stack.dispose();
}
