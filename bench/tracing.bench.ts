// The cost of tracing on the path a client waits on: one packed real night POSTed, then its job
// polled until completed (accept, queue, worker, scoring, writes), one night at a time. Rounds
// alternate an API + worker pair started with tracing off (no OTEL_* variable) and one started
// with tracing on, exporting OTLP/HTTP protobuf to a receiver on loopback that answers 200 at once,
// so a noisy shared machine hits both modes alike. Every span is sampled (the default sampler).
//   npm run bench:tracing        (BENCH_TRACING_ROUNDS=3 BENCH_TRACING_NIGHTS=20 per round and mode,
//                                 BENCH_TRACING_SAMPLER=always_off to trace with nothing sampled)
import { loadavg } from 'node:os';
import { startOtlpReceiver } from '../test/helpers/otlp-receiver.js';
import { packedBody, realNights } from './lib/nights.js';
import { percentile, Reporter } from './lib/report.js';
import { BENCH_HEADERS, BenchStack, withRecording, type NightBody } from './lib/stack.js';

const ROUNDS = Number(process.env['BENCH_TRACING_ROUNDS'] ?? 3);
const NIGHTS = Number(process.env['BENCH_TRACING_NIGHTS'] ?? 20);
const WARMUP = 3;
// OTEL_TRACES_SAMPLER for the traced pairs (default: the SDK's, parentbased_always_on). always_off
// separates the instrumentations' own cost from that of recording and exporting spans.
const SAMPLER = process.env['BENCH_TRACING_SAMPLER'];

const report = new Reporter(`Tracing off vs on${SAMPLER ? ` (sampler ${SAMPLER})` : ''}: end-to-end ingest of one night`);
const receiver = await startOtlpReceiver();
const stack = await BenchStack.create();

/** Accept to completed, as a client sees it: the POST, then GET /v1/jobs/{id} every 5 ms. */
async function oneNight(baseUrl: string, body: NightBody, recordingId: string): Promise<{ accept: number; total: number }> {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/v1/epochs:ingest`, { method: 'POST', headers: BENCH_HEADERS, body: withRecording(body, recordingId) });
  const accepted = (await res.json()) as { job_id: string };
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}`);
  const accept = performance.now() - t0;
  for (;;) {
    const job = (await (await fetch(`${baseUrl}/v1/jobs/${accepted.job_id}`, { headers: BENCH_HEADERS })).json()) as { state: string };
    if (job.state === 'completed') return { accept, total: performance.now() - t0 };
    if (job.state !== 'queued' && job.state !== 'active') throw new Error(`job ${accepted.job_id} ended ${job.state}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

try {
  const bodies = realNights().map((night) => packedBody(night));
  const recordings = await stack.createRecordings(ROUNDS * 2 * (NIGHTS + WARMUP));
  const samples = { off: { accept: [] as number[], total: [] as number[] }, on: { accept: [] as number[], total: [] as number[] } };
  const loads: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which mode goes first, so a drift in machine load favours neither.
    const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
    for (const mode of order) {
      const otel: Record<string, string> = mode === 'on' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_SERVICE_NAME: 'noctis-bench', ...(SAMPLER ? { OTEL_TRACES_SAMPLER: SAMPLER } : {}) } : {};
      const api = await stack.startApi(otel);
      const worker = await stack.startWorker(otel);
      loads.push(loadavg().map((l) => l.toFixed(2)).join(' '));
      for (let i = 0; i < WARMUP + NIGHTS; i++) {
        const { accept, total } = await oneNight(api.baseUrl, bodies[i % bodies.length]!, recordings.pop()!);
        if (i < WARMUP) continue;
        samples[mode].accept.push(accept);
        samples[mode].total.push(total);
      }
      await stack.stop(api);
      await stack.stop(worker);
    }
  }
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const p90 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 90);
  report.info(`${ROUNDS} rounds × ${NIGHTS} nights per mode (after ${WARMUP} warm-up nights per start), nights of ~${Math.round(bodies.reduce((a, b) => a + b.epochs, 0) / bodies.length)} epochs, one at a time`);
  report.info(`load average (1, 5, 15 min) at each start: ${loads.join(' | ')}`);
  report.info(`spans received by the loopback collector: ${receiver.requests} export requests`);
  report.add({ name: 'accept to completed, median (tracing on)', value: median(samples.on.total), unit: 'ms', baseline: { name: 'tracing off', value: median(samples.off.total) }, ratio: median(samples.on.total) / median(samples.off.total) });
  report.add({ name: 'accept to completed, p90 (tracing on)', value: p90(samples.on.total), unit: 'ms', baseline: { name: 'tracing off', value: p90(samples.off.total) }, ratio: p90(samples.on.total) / p90(samples.off.total) });
  report.add({ name: 'POST until 202, median (tracing on)', value: median(samples.on.accept), unit: 'ms', baseline: { name: 'tracing off', value: median(samples.off.accept) }, ratio: median(samples.on.accept) / median(samples.off.accept) });
} finally {
  await stack.dispose();
  await receiver.close();
}
