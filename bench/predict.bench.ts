// Inline POST /v1/predict of 1000 real epochs (list form): p50/p99 latency and requests per second
// from a separate autocannon process (4 connections, closed loop), against the same work on a bare
// node:http server (bench/lib/bare-predict-server.ts) measured the same way in the same run.
//   npm run bench:predict           (BENCH_PREDICT_SECONDS=20)
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitUntil } from '../test/helpers/processes.js';
import { FEATURE_SCHEMA_VERSION } from '../test/helpers/sleep-data.js';
import { readRss } from './lib/memory.js';
import { runLoad } from './lib/load.js';
import { realNights } from './lib/nights.js';
import { mib, Reporter } from './lib/report.js';
import { BENCH_HEADERS, BenchStack } from './lib/stack.js';

const SECONDS = Number(process.env['BENCH_PREDICT_SECONDS'] ?? 20);
const EPOCHS = 1000;

const report = new Reporter(`inline POST /v1/predict of ${EPOCHS} epochs`);
const stack = await BenchStack.create();
const BARE_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'bare-predict-server.ts');
let bareChild: ReturnType<typeof spawn> | null = null;
try {
  const api = await stack.startApi();
  const models = (await (await fetch(`${api.baseUrl}/v1/models`, { headers: BENCH_HEADERS })).json()) as { active_version: string };
  const version = models.active_version;
  const barePort = await freePort();
  bareChild = spawn(process.execPath, ['--import', 'tsx', BARE_SERVER, String(barePort), version], { stdio: ['ignore', 'ignore', 'inherit'] });
  const bareUrl = `http://127.0.0.1:${barePort}`;
  await waitUntil('the bare server', async () => (await fetch(bareUrl, { method: 'POST', body: '{"epochs":[]}' }).catch(() => null))?.status === 200, 30_000);

  const rows = realNights().flatMap((night) => night.features).slice(0, EPOCHS);
  const body = JSON.stringify({ feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: rows.map((features) => ({ features })) });
  const check = await fetch(`${api.baseUrl}/v1/predict`, { method: 'POST', headers: BENCH_HEADERS, body });
  const checkBody = (await check.json()) as { predictions: unknown[] };
  if (check.status !== 200 || checkBody.predictions.length !== EPOCHS) throw new Error(`predict answered ${check.status}`);
  const bareCheck = (await (await fetch(bareUrl, { method: 'POST', body })).json()) as { predictions: unknown[] };
  if (JSON.stringify(bareCheck.predictions) !== JSON.stringify(checkBody.predictions)) throw new Error('the bare server computes different predictions');
  report.info(`model ${version}; request ${(body.length / 1024).toFixed(0)} KiB, answer ${(JSON.stringify(checkBody).length / 1024).toFixed(0)} KiB; ${SECONDS} s each, 4 connections; bare server answers identical predictions`);

  const noctis = await runLoad({ url: api.baseUrl, method: 'POST', path: '/v1/predict', connections: 4, duration: SECONDS, headers: { ...BENCH_HEADERS }, bodies: [body] });
  const apiPeak = api.rss.peak();
  const baseline = await runLoad({ url: bareUrl, method: 'POST', path: '/', connections: 4, duration: SECONDS, bodies: [body] });
  const barePeak = readRss(bareChild.pid!)?.peak ?? NaN;
  if (noctis.non2xx > 0 || noctis.errors > 0) throw new Error(`predict answered ${noctis.non2xx} non-2xx, ${noctis.errors} errors`);
  const rps = noctis.requests.total / noctis.duration;
  const bareRps = baseline.requests.total / baseline.duration;
  report.add({ name: 'requests per second', value: rps, unit: 'req/s', baseline: { name: 'bare node:http doing the same work', value: bareRps }, ratio: rps / bareRps, note: `${Math.round(rps * EPOCHS).toLocaleString('en-US')} epochs/s` });
  report.add({ name: 'p50 latency', value: noctis.latency.p50, unit: 'ms', baseline: { name: 'bare node:http', value: baseline.latency.p50 } });
  report.add({ name: 'p99 latency', value: noctis.latency.p99, unit: 'ms', baseline: { name: 'bare node:http', value: baseline.latency.p99 }, ratio: noctis.latency.p99 / baseline.latency.p99, note: 'ratio = times the bare server' });
  report.add({ name: 'API peak RSS', value: mib(apiPeak), unit: 'MiB', baseline: { name: 'bare server peak RSS', value: mib(barePeak) } });
} finally {
  bareChild?.kill();
  await stack.dispose();
}
