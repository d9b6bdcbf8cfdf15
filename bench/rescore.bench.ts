// Bulk re-scoring: a history of ≥ 1,000,000 stored epochs (generate_series into the bench's own
// database) re-scored to a second model version by real worker processes. Prints the re-score rate
// in epochs/s beside a raw COPY of the same prediction rows into the same table in the same run,
// worker RSS (peak and growth over the run), and ingest latency (POST → job completed) for real
// nights ingested with no re-score and while one runs.
//   npm run bench:rescore     (BENCH_RESCORE_RECORDINGS=1000 BENCH_RESCORE_EPOCHS_PER_RECORDING=1000 BENCH_WORKERS=2)
import { sql } from 'kysely';
import pg from 'pg';
import { copyIn, copyOut } from './lib/copy-baseline.js';
import { cpuSeconds, postgresCpuSeconds } from './lib/cpu.js';
import { describeMachine } from './lib/machine.js';
import { packedBody, realNights } from './lib/nights.js';
import { mib, percentile, Reporter } from './lib/report.js';
import { BenchStack, withRecording, type Proc } from './lib/stack.js';

const RECORDINGS = Number(process.env['BENCH_RESCORE_RECORDINGS'] ?? 1000);
const PER_RECORDING = Number(process.env['BENCH_RESCORE_EPOCHS_PER_RECORDING'] ?? 1000);
const WORKERS = Number(process.env['BENCH_WORKERS'] ?? 2);
const RESCORE_CONCURRENCY = process.env['BENCH_RESCORE_CONCURRENCY'] ?? '1';
const CHUNK_EPOCHS = process.env['BENCH_RESCORE_CHUNK_EPOCHS'] ?? '20000';
const TOTAL = RECORDINGS * PER_RECORDING;

// An operator token for API processes that require authentication (ignored where there is none).
const TOKEN = 'rescore-bench-admin-token-0123456789';
const HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

const report = new Reporter('bulk re-score');
report.info(describeMachine());
const stack = await BenchStack.create({ NOCTIS_ADMIN_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '0', TENANT_RATE_LIMIT_PER_MINUTE: '0', ACTIVE_MODEL_VERSION: 'wnr-v1', RESCORE_CONCURRENCY, RESCORE_CHUNK_EPOCHS: CHUNK_EPOCHS, WORKER_CONCURRENCY: '4' });
try {
  // Setup, not measured: recordings of one device and their epochs straight into the database.
  const seedStarted = performance.now();
  const recordings = await stack.createRecordings(RECORDINGS);
  await sql`
    INSERT INTO epochs (recording_id, epoch_index, ts, features)
    SELECT r.id, i, r.started_at + i * interval '30 seconds',
           ARRAY[(i * 7 + hashtext(r.id::text)) % 300, 0.3 + (i % 50) / 100.0, cos(i / 500.0), i / 120.0, (i % 97) / 97.0]::real[]
    FROM recordings r CROSS JOIN generate_series(0, ${PER_RECORDING - 1}) AS i
    WHERE r.id = ANY(${recordings}::uuid[])`.execute(stack.db);
  await sql`ANALYZE epochs`.execute(stack.db);
  const device = (await stack.db.selectFrom('recordings').select('device_id').where('id', '=', recordings[0]!).executeTakeFirstOrThrow()).device_id;
  report.info(`seeded ${RECORDINGS.toLocaleString('en-US')} recordings × ${PER_RECORDING.toLocaleString('en-US')} epochs = ${TOTAL.toLocaleString('en-US')} epochs in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const api = await stack.startApi();
  const workers: Proc[] = [];
  for (let w = 0; w < WORKERS; w++) workers.push(await stack.startWorker());
  report.info(`API + ${WORKERS} worker process(es): ingest concurrency 4, RESCORE_CONCURRENCY ${RESCORE_CONCURRENCY}, RESCORE_CHUNK_EPOCHS ${CHUNK_EPOCHS}`);

  const post = async (path: string, body: string) => {
    const res = await fetch(`${api.baseUrl}${path}`, { method: 'POST', headers: HEADERS, body });
    const json = (await res.json()) as { job_id: string };
    if (res.status !== 202) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
    return json.job_id;
  };
  const getJob = async (id: string) => (await (await fetch(`${api.baseUrl}/v1/jobs/${id}`, { headers: HEADERS })).json()) as { state: string; progress: { done: number; total: number }; result: any };
  const waitJob = async (id: string, everyMs: number, onPoll?: (job: Awaited<ReturnType<typeof getJob>>) => void) => {
    for (;;) {
      const job = await getJob(id);
      onPoll?.(job);
      if (job.state !== 'queued' && job.state !== 'active') return job;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };

  // Ingest latency of real nights, one after another, each into a fresh recording.
  const nights = realNights().map(packedBody);
  const ingestRecordings = await stack.createRecordings(nights.length * 2);
  let ingestNext = 0;
  const ingestLatencies = async (count: number, keepGoing: () => boolean = () => true): Promise<number[]> => {
    const out: number[] = [];
    for (let k = 0; k < count && keepGoing(); k++) {
      const body = nights[k % nights.length]!;
      const t0 = performance.now();
      const id = await post('/v1/epochs:ingest', withRecording(body, ingestRecordings[ingestNext++]!));
      const job = await waitJob(id, 10);
      if (job.state !== 'completed') throw new Error(`ingest job ${id} ended ${job.state}`);
      out.push(performance.now() - t0);
    }
    return out;
  };
  const idle = (await ingestLatencies(nights.length)).sort((a, b) => a - b);

  // Run 1: the re-score alone, timed from POST to the parent completed; RSS sampled throughout.
  const cpu0 = { workers: workers.reduce((a, w) => a + cpuSeconds(w.handle.child.pid!), 0), postgres: postgresCpuSeconds() };
  const rssBefore = workers.map((w) => w.rss.peak());
  const t0 = performance.now();
  const first = await post('/v1/rescore', JSON.stringify({ model_version: 'wnr-v2', device_id: device }));
  let plannedAt: number | null = null;
  const done1 = await waitJob(first, 100, (job) => {
    for (const w of workers) w.rss.progress = job.progress.done;
    if (plannedAt === null && job.result?.planned) plannedAt = performance.now();
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = { workers: workers.reduce((a, w) => a + cpuSeconds(w.handle.child.pid!), 0), postgres: postgresCpuSeconds() };
  if (done1.state !== 'completed' || done1.result.rescored !== TOTAL) throw new Error(`re-score ended ${done1.state}: ${JSON.stringify(done1.result)}`);
  const count = await sql<{ n: number }>`SELECT count(*)::int AS n FROM predictions WHERE model_version = 'wnr-v2'`.execute(stack.db);
  if (count.rows[0]!.n !== TOTAL) throw new Error(`expected ${TOTAL} wnr-v2 predictions, found ${count.rows[0]!.n}`);
  const rate = TOTAL / seconds;
  report.info(`re-score of ${TOTAL.toLocaleString('en-US')} epochs in ${done1.result.chunks.total} chunks: ${seconds.toFixed(1)} s (planning done after ${(((plannedAt ?? performance.now()) - t0) / 1000).toFixed(1)} s); CPU s: workers ${(cpu1.workers - cpu0.workers).toFixed(1)}, postgres ${(cpu1.postgres - cpu0.postgres).toFixed(1)}`);

  // The same prediction rows through one raw COPY into the same table, in this run.
  const rows = await copyOut(stack.testEnv.database.url, `SELECT recording_id, epoch_index, ts, 'copy-baseline' AS model_version, stage, probabilities FROM predictions WHERE model_version = 'wnr-v2'`);
  const client = new pg.Client({ connectionString: stack.testEnv.database.url });
  await client.connect();
  const c0 = performance.now();
  try {
    await copyIn(client, 'predictions', ['recording_id', 'epoch_index', 'ts', 'model_version', 'stage', 'probabilities'], rows);
  } finally {
    await client.end();
  }
  const copyRate = TOTAL / ((performance.now() - c0) / 1000);
  report.add({ name: 're-score rate', value: rate, unit: 'epochs/s', baseline: { name: 'raw COPY of the same prediction rows (1 connection)', value: copyRate }, ratio: rate / copyRate });

  for (const [k, w] of workers.entries()) {
    const growth = w.rss.growth(TOTAL);
    // RSS when 25, 50, 75 and 100 % of the epochs were done: flat memory levels off, a leak climbs.
    const curve = [0.25, 0.5, 0.75, 1].map((q) => mib(w.rss.samples.find((s) => s.progress >= q * TOTAL)?.rss ?? NaN).toFixed(0));
    report.add({ name: `${w.name} peak RSS`, value: mib(w.rss.peak()), unit: 'MiB', note: `before the re-score ${mib(rssBefore[k]!).toFixed(0)} MiB; at 25/50/75/100 % ${curve.join('/')} MiB; largest after 25 % ×${growth.ratio.toFixed(2)} of RSS at 25 %` });
  }

  // Run 2: the same re-score again (overwriting) while nights are ingested one after another.
  const second = await post('/v1/rescore', JSON.stringify({ model_version: 'wnr-v2', device_id: device }));
  let running = true;
  const finished = waitJob(second, 100).then((job) => {
    running = false;
    return job;
  });
  while ((await getJob(second)).progress.done === 0 && running) await new Promise((r) => setTimeout(r, 20));
  const busy = (await ingestLatencies(nights.length * 2 - nights.length, () => running)).sort((a, b) => a - b);
  const done2 = await finished;
  if (done2.state !== 'completed') throw new Error(`second re-score ended ${done2.state}`);
  report.add({ name: 'ingest latency p50 during re-score', value: percentile(busy, 50), unit: 'ms', baseline: { name: 'no re-score', value: percentile(idle, 50) } });
  report.add({ name: 'ingest latency p99 during re-score', value: percentile(busy, 99), unit: 'ms', baseline: { name: 'no re-score', value: percentile(idle, 99) }, note: `${busy.length} nights during, ${idle.length} without; POST → job completed` });
} finally {
  await stack.dispose();
}
