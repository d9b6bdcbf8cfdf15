import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, waitForJob } from '../helpers/http.js';
import { copyModels, writeBrokenModel } from '../helpers/model-dirs.js';
import { freePort, spawnEntry, waitUntil, type ChildHandle } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// API and worker run as separate processes, the API reading ACTIVE_MODEL_VERSION from a .env file.
describe('model reload across separate API and worker processes', () => {
  let env: TestEnv;
  let models: ReturnType<typeof copyModels>;
  let envDir: string;
  let envFile: string;
  let api: ChildHandle;
  let worker: ChildHandle;
  let baseUrl: string;
  const [night] = syntheticNights(1);

  async function ingestNight(name: string): Promise<{ recording: string; result: any }> {
    const device = await request(baseUrl, 'POST', '/v1/devices', { external_id: name });
    const rec = await request(baseUrl, 'POST', '/v1/recordings', {
      device_id: device.body.id,
      started_at: '2026-11-25T22:00:00Z',
      feature_schema_version: FEATURE_SCHEMA_VERSION,
    });
    const res = await request(baseUrl, 'POST', '/v1/epochs:ingest', {
      recording_id: rec.body.id,
      feature_schema_version: FEATURE_SCHEMA_VERSION,
      start_index: 0,
      packed: packRows(night.features),
    });
    expect(res.status).toBe(202);
    const job = await waitForJob(baseUrl, res.body.job_id, 60_000);
    expect(job.state).toBe('completed');
    return { recording: rec.body.id, result: job.result };
  }

  beforeAll(async () => {
    env = await createTestEnv();
    models = copyModels(['wnr-v1', 'wnr-v2']);
    writeBrokenModel(models.dir, 'wnr-v1', 'broken-v9');
    envDir = mkdtempSync(path.join(tmpdir(), 'noctis-env-'));
    envFile = path.join(envDir, '.env');
    writeFileSync(envFile, 'ACTIVE_MODEL_VERSION=wnr-v1\n');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const common = env.env({ MODELS_DIR: models.dir, NOCTIS_ENV_FILE: envFile, ACTIVE_MODEL_VERSION: undefined });
    api = spawnEntry('src/entry/web.ts', { ...common, PORT: String(port) });
    worker = spawnEntry('workers/main.ts', common);
    await waitUntil('the API to be ready', async () => (await request(baseUrl, 'GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, 60_000, 200);
  });

  afterAll(async () => {
    await Promise.all([api?.kill('SIGTERM'), worker?.kill('SIGTERM')]);
    models.remove();
    rmSync(envDir, { recursive: true, force: true });
    await env.dispose();
  });

  it('lists valid versions and the broken folder with its reason', async () => {
    const res = await request(baseUrl, 'GET', '/v1/models');
    expect(res.status).toBe(200);
    expect(res.body.active_version).toBe('wnr-v1');
    expect(res.body.models.map((m: any) => m.version).sort()).toEqual(['wnr-v1', 'wnr-v2']);
    expect(res.body.invalid).toEqual([{ version: 'broken-v9', error: expect.stringContaining('weights.npy has shape') }]);
    const one = await request(baseUrl, 'GET', '/v1/models/wnr-v2');
    expect(one.body).toMatchObject({ version: 'wnr-v2', feature_schema_version: FEATURE_SCHEMA_VERSION, labels: ['W', 'NREM', 'REM'] });
    expect((await request(baseUrl, 'GET', '/v1/models/nope')).body.error.code).toBe('model_not_found');
  });

  it('switches API and worker to the requested version and keeps serving', async () => {
    expect((await ingestNight('before')).result.model_version).toBe('wnr-v1');
    // Inline predicts keep flowing while the reload happens: none may fail.
    let stop = false;
    const inflight = (async () => {
      const statuses: number[] = [];
      while (!stop) {
        const res = await request(baseUrl, 'POST', '/v1/predict', {
          feature_schema_version: FEATURE_SCHEMA_VERSION,
          epochs: night.features.slice(0, 200).map((features) => ({ features })),
        });
        statuses.push(res.status);
      }
      return statuses;
    })();
    const reload = await request(baseUrl, 'POST', '/v1/models/reload', { version: 'wnr-v2' });
    stop = true;
    expect((await inflight).every((s) => s === 200)).toBe(true);
    expect(reload.status).toBe(200);
    expect(reload.body).toMatchObject({ active_version: 'wnr-v2', previous_version: 'wnr-v1' });
    expect(Date.parse(reload.body.loaded_at)).not.toBeNaN();
    expect(reload.body.processes.expected).toBeGreaterThanOrEqual(1);
    expect(reload.body.processes.acknowledged).toBe(reload.body.processes.expected);

    const after = await ingestNight('after');
    expect(after.result.model_version).toBe('wnr-v2');
    const preds = await request(baseUrl, 'GET', `/v1/recordings/${after.recording}/predictions`);
    expect(preds.body.model_version).toBe('wnr-v2');
    expect(preds.body.items).toHaveLength(night.indices.length);
  });

  it('rejects a broken folder with 422 and an unknown version with 404, keeping the active one', async () => {
    const broken = await request(baseUrl, 'POST', '/v1/models/reload', { version: 'broken-v9' });
    expect(broken.status).toBe(422);
    expect(broken.body.error.code).toBe('invalid_model');
    expect(broken.body.error.details.reason).toContain('weights.npy');
    const unknown = await request(baseUrl, 'POST', '/v1/models/reload', { version: 'does-not-exist' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('model_not_found');
    expect((await request(baseUrl, 'GET', '/v1/models')).body.active_version).toBe('wnr-v2');
    expect((await ingestNight('still-v2')).result.model_version).toBe('wnr-v2');
  });

  it('re-reads .env when no version is given', async () => {
    writeFileSync(envFile, 'ACTIVE_MODEL_VERSION=wnr-v1\n');
    const res = await request(baseUrl, 'POST', '/v1/models/reload', {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active_version: 'wnr-v1', previous_version: 'wnr-v2' });
    expect((await ingestNight('back-to-v1')).result.model_version).toBe('wnr-v1');
  });

  it('a worker started after a reload uses the reloaded version', async () => {
    await request(baseUrl, 'POST', '/v1/models/reload', { version: 'wnr-v2' });
    await worker.kill('SIGTERM');
    worker = spawnEntry('workers/main.ts', env.env({ MODELS_DIR: models.dir, NOCTIS_ENV_FILE: envFile, ACTIVE_MODEL_VERSION: undefined }));
    const late = await ingestNight('late-worker');
    expect(late.result.model_version).toBe('wnr-v2');
  });
});
