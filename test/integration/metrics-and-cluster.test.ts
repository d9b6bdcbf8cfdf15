import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitForJob } from '../helpers/http.js';
import { freePort, spawnEntry, waitUntil, type ChildHandle } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

const up = (url: string) => async () => (await request(url, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200;

/** Sum of a counter or histogram `_count` over every series matching `filter`. */
function total(text: string, name: string, filter = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && line.includes(filter))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('metrics on the API (a WEB_CONCURRENCY cluster) and on a worker process', () => {
  let env: TestEnv;
  let web: ChildHandle;
  let worker: ChildHandle;
  let apiUrl: string;
  let workerUrl: string;

  beforeAll(async () => {
    env = await createTestEnv();
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    workerUrl = `http://127.0.0.1:${metricsPort}`;
    web = spawnEntry('src/entry/web.ts', env.env({ PORT: String(apiPort), WEB_CONCURRENCY: '2' }));
    worker = spawnEntry('workers/main.ts', env.env({ METRICS_PORT: String(metricsPort) }));
    await waitUntil('the API cluster', up(apiUrl), 90_000, 200);
    await waitUntil('the worker probe port', up(workerUrl), 90_000, 200);
  });
  afterAll(async () => {
    await Promise.all([web?.kill('SIGKILL'), worker?.kill('SIGKILL')]);
    await env.dispose();
  });

  it('counts requests served by every API process in one /metrics answer', async () => {
    const before = total((await request(apiUrl, 'GET', '/metrics')).body, 'noctis_http_request_duration_seconds_count', 'route="/v1/models"');
    for (let i = 0; i < 20; i++) expect((await request(apiUrl, 'GET', '/v1/models')).status).toBe(200);
    const text: string = (await request(apiUrl, 'GET', '/metrics')).body;
    expect(total(text, 'noctis_http_request_duration_seconds_count', 'route="/v1/models"') - before).toBe(20);
    // The info gauge stays 1 per version however many processes report it.
    expect(text).toMatch(/^noctis_active_model_info\{model_version="wnr-v3"[^}]*\} 1$/m);
    for (const name of ['noctis_http_request_duration_seconds_bucket', 'noctis_queue_jobs', 'noctis_db_pool_connections', 'process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      expect(text, name).toContain(name);
    }
    // Idle between requests: no request waits for a connection, scrape after scrape (the scrape's
    // own oldest-job query used to count as waiting).
    for (let i = 0; i < 3; i++) {
      expect(total((await request(apiUrl, 'GET', '/metrics')).body, 'noctis_db_pool_connections', 'state="waiting"')).toBe(0);
    }
  });

  it('exposes job, ingest, prediction and scoring metrics on the worker METRICS_PORT', async () => {
    const device = await request(apiUrl, 'POST', '/v1/devices', { external_id: 'metrics-dev' });
    const rec = await request(apiUrl, 'POST', '/v1/recordings', { device_id: device.body.id, started_at: '2026-11-25T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION });
    const [, night] = syntheticNights(2);
    const res = await request(apiUrl, 'POST', '/v1/epochs:ingest', { recording_id: rec.body.id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows(night.features) });
    expect((await waitForJob(apiUrl, res.body.job_id, 60_000)).state).toBe('completed');
    const text: string = (await request(workerUrl, 'GET', '/metrics')).body;
    expect(total(text, 'noctis_epochs_ingested_total')).toBe(night.indices.length);
    expect(total(text, 'noctis_predictions_written_total', 'model_version="wnr-v3"')).toBe(night.indices.length);
    expect(total(text, 'noctis_job_duration_seconds_count', 'queue="ingest"')).toBe(1);
    expect(total(text, 'noctis_scoring_batch_epochs_count')).toBe(1);
    for (const name of ['noctis_queue_jobs{', 'noctis_db_pool_connections{', 'noctis_active_model_info{', 'process_resident_memory_bytes']) {
      expect(text, name).toContain(name);
    }
    expect((await request(workerUrl, 'GET', '/readyz')).status).toBe(200);
  });

  it('drains and exits 0 on SIGTERM, primary and workers alike', async () => {
    expect(await web.kill('SIGTERM')).toBe(0);
    expect(await worker.kill('SIGTERM')).toBe(0);
  });
});
