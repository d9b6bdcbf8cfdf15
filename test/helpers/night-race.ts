import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import type { Database } from '../../src/db/database.js';
import { processNightScoring } from '../../src/night-scoring/night-scoring.processor.js';
import { scoreNight } from '../../src/scoring/night-scorer.js';
import { INGEST_PATH, type Recording } from './fixtures.js';
import { request } from './http.js';
import { FEATURE_SCHEMA_VERSION, type Night } from './sleep-data.js';

// Shared by the race tests that drive uploads, night scorings and re-scores of one recording by hand
// (no worker runs: the test is the worker) and then check the night ended as if nothing had raced.

/** Accepts an upload of the night's epochs in [from, to); with no worker the job stays queued. */
export async function acceptEpochs(baseUrl: string, rec: Recording, night: Night, from: number, to: number): Promise<string> {
  const epochs = night.indices.slice(from, to).map((index, k) => ({ epoch_index: index, features: night.features[from + k]! }));
  const res = await request(baseUrl, 'POST', INGEST_PATH, { recording_id: rec.id, feature_schema_version: FEATURE_SCHEMA_VERSION, epochs });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.job_id as string;
}

/** Completes whatever waits for the night's scoring, as the night queue's worker would. */
export async function scoreWaitingNight(ctx: AppContext, recordingId: string): Promise<void> {
  const job = { data: { recordingId, generation: 0 } } as Parameters<typeof processNightScoring>[2];
  await processNightScoring(ctx, ctx.logger, job, undefined);
}

/** `version`'s scores of the night's first `count` epochs, scored as one night. */
export function wholeNightScores(ctx: AppContext, version: string, night: Night, count: number) {
  const model = ctx.registry.resolve(version);
  const scores = scoreNight(model.night, night.indices.slice(0, count), Float32Array.from(night.features.slice(0, count).flat()), count);
  const k = model.labels.length;
  return night.indices.slice(0, count).map((_, i) => ({ stage: model.labels[scores.classes[i]!]!, probabilities: Array.from(scores.probabilities.subarray(i * k, (i + 1) * k)) }));
}

/** `version`'s stored predictions of the recording, as the API answers them. */
export async function storedPredictions(baseUrl: string, rec: Recording, version: string) {
  const res = await request(baseUrl, 'GET', `/v1/recordings/${rec.id}/predictions?model_version=${version}`);
  expect(res.status).toBe(200);
  const items = res.body.items as Array<{ epoch_index: number; stage: string; probabilities: number[] }>;
  // real[] comes back as its shortest decimal; rounding it to float32 gives the stored value.
  return items.map((i) => ({ epoch_index: i.epoch_index, stage: i.stage, probabilities: i.probabilities.map(Math.fround) }));
}

/** The end state whatever the interleaving: the jobs completed, and every epoch of the night is stored with `version`'s prediction of the whole night. */
export async function expectWholeNightScored(ctx: AppContext, db: Kysely<Database>, baseUrl: string, version: string, rec: Recording, night: Night, jobs: readonly string[]): Promise<void> {
  const states = await db.selectFrom('jobs').select(['id', 'state']).where('id', 'in', [...jobs]).execute();
  expect(states.map((j) => j.state)).toEqual(jobs.map(() => 'completed'));
  const expected = wholeNightScores(ctx, version, night, night.indices.length).map((s, i) => ({ epoch_index: night.indices[i]!, ...s }));
  expect(await storedPredictions(baseUrl, rec, version)).toEqual(expected);
}
