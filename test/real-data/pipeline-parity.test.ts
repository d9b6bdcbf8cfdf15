import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { loadStoredNight } from '../../src/epochs/epochs.repository.js';
import { epochWindow } from '../../src/recordings/epoch-window.js';
import { loadModelFolder, type LoadedModel } from '../../src/models/model-loader.js';
import { computeInputs } from '../../src/scoring/night-inputs.js';
import { scoreNight } from '../../src/scoring/night-scorer.js';
import { parseSleepAccelCsv, type SubjectData } from '../../src/training/csv.js';
import { nightInputs } from '../../src/training/night-rows.js';
import { createRecording, INGEST_PATH, openDb } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { SHIPPED_MODELS_DIR } from '../helpers/services.js';
import { FEATURE_SCHEMA_VERSION, hasSleepData, listSubjects, needsSleepData, SLEEP_DATA_DIR } from '../helpers/sleep-data.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const VERSION = 'wnr-v3';

// Training and serving must compute the same model inputs from the same night: the rows the fit saw
// (CSV read as float32 by the training code) against what the scorer computes from the epochs the
// service stored after a real upload. Compared bit for bit.
describe.skipIf(!hasSleepData())(needsSleepData(`training and serving agree on ${VERSION}'s inputs`), () => {
  let env: TestEnv;
  let api: RunningApp;
  let db: Kysely<Database>;
  let model: LoadedModel;

  beforeAll(async () => {
    env = await createTestEnv();
    api = await startTestApp(env, { env: { ACTIVE_MODEL_VERSION: VERSION } });
    db = openDb(env);
    model = await loadModelFolder(SHIPPED_MODELS_DIR, VERSION);
  });
  afterAll(async () => {
    await api?.stop();
    await db?.destroy();
    await env?.dispose();
  });

  // Without the data the names are unknown: one placeholder shows the skipped checks.
  for (const subject of hasSleepData() ? listSubjects().slice(0, 3) : ['of the first three subjects']) {
    it(`night ${subject}: stored epochs give the training rows exactly, and the stored predictions are the model's`, async () => {
      const night: SubjectData = parseSleepAccelCsv(readFileSync(path.join(SLEEP_DATA_DIR, `${subject}.csv`), 'utf8'), subject);
      const nF = model.features.length;
      const epochs = Array.from({ length: night.nEpochs }, (_, k) => ({
        epoch_index: night.epochIndex[k]!,
        // The CSV's decimal text, as a device would send it; the service stores float32.
        features: Array.from(night.features.subarray(k * nF, (k + 1) * nF)),
      }));
      const rec = await createRecording(api.baseUrl);
      // Two uploads (the second waits for a night scoring), in reverse order.
      const half = Math.floor(epochs.length / 2);
      for (const part of [epochs.slice(half), epochs.slice(0, half)]) {
        const res = await request(api.baseUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: part });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect((await waitForJob(api.baseUrl, res.body.job_id)).state).toBe('completed');
      }

      const stored = await loadStoredNight(db, epochWindow(rec, 5760), nF);
      expect(Array.from(stored.indices)).toEqual(Array.from(night.epochIndex));
      const served = computeInputs(model.night.pipeline, stored.indices, stored.features, stored.count);
      const trained = nightInputs(night, model.night.pipeline);
      expect(served.length).toBe(trained.length);
      // Bit for bit, up to the sign of zero: the CSV's "-0.000000" reaches the API as JSON 0.
      const bits = (values: Float64Array) => Buffer.from(Float64Array.from(values, (v) => v + 0).buffer);
      const differing = served.findIndex((v, i) => !Object.is(v + 0, trained[i]! + 0));
      expect(differing, `first differing value at ${differing}: ${served[differing]} vs ${trained[differing]}`).toBe(-1);
      expect(bits(served).equals(bits(trained))).toBe(true);

      const expected = scoreNight(model.night, night.epochIndex, night.features, night.nEpochs);
      const res = await request(api.baseUrl, 'GET', `/v1/recordings/${rec.id}/predictions?model_version=${VERSION}`);
      expect(res.body.items).toHaveLength(night.nEpochs);
      res.body.items.forEach((item: { stage: string; probabilities: number[] }, k: number) => {
        expect(item.stage).toBe(model.labels[expected.classes[k]!]);
        expect(item.probabilities.map(Math.fround)).toEqual(Array.from(expected.probabilities.subarray(k * 3, k * 3 + 3)));
      });
    });
  }
});
