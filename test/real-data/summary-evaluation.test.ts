import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecording, ingestList, type Recording } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { labelSetModels, TEST_LABEL_SETS } from '../helpers/label-set-models.js';
import { expectEvaluationMatchesReference, expectSummaryMatchesReference } from '../helpers/reference-checks.js';
import { hasSleepData, loadNight, needsSleepData, type Night } from '../helpers/sleep-data.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// The YASA-style summary and the evaluation of real scored nights against independent computations
// (the integration tests run the same checks on synthetic nights).

const ACTIVE = 'wnr-v1';
const OTHERS = ['wldr-v1', ...Object.keys(TEST_LABEL_SETS)];
const SUBJECTS = [
  '759667', // 452 epochs, indices 0..472 with a gap at 379..399
  '1066528', // 817 epochs, indices 0..930 with several gaps
];

describe.skipIf(!hasSleepData())(needsSleepData('summary and evaluation of real nights'), () => {
  let env: TestEnv;
  let app: RunningApp;
  let models: { dir: string; remove(): void };
  const nights: Array<{ night: Night; rec: Recording }> = [];

  beforeAll(async () => {
    models = labelSetModels();
    env = await createTestEnv();
    app = await startTestApp(env, { env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: ACTIVE } });
    for (const subject of SUBJECTS) {
      const night = loadNight(subject);
      const rec = await createRecording(app.baseUrl);
      await ingestList(app.baseUrl, rec.id, night.indices, night.features);
      for (const version of OTHERS) {
        const res = await request(app.baseUrl, 'POST', '/v1/predict', { recording_id: rec.id, model_version: version });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        expect((await waitForJob(app.baseUrl, res.body.job_id)).state).toBe('completed');
      }
      const labels = night.indices.map((epoch_index, k) => ({ epoch_index, stage: night.stages[k]! }));
      expect((await request(app.baseUrl, 'PUT', `/v1/recordings/${rec.id}/labels`, { labels })).status).toBe(200);
      nights.push({ night, rec });
    }
  });

  afterAll(async () => {
    await app?.stop();
    await env?.dispose();
    models?.remove();
  });

  for (const [k, subject] of SUBJECTS.entries()) {
    for (const version of [ACTIVE, ...OTHERS]) {
      it(`night ${subject}, ${version}: the summary equals the reference statistics of the stored predictions`, async () => {
        const { night, rec } = nights[k]!;
        await expectSummaryMatchesReference(app.baseUrl, rec.id, night, version);
      });
      it(`night ${subject}, ${version}: the evaluation equals the reference agreement with the scored stages`, async () => {
        const { night, rec } = nights[k]!;
        await expectEvaluationMatchesReference(app.baseUrl, rec.id, night, version, version === ACTIVE);
      });
    }
  }
});
