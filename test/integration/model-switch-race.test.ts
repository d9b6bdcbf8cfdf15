import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import type { Database } from '../../src/db/database.js';
import { processIngest } from '../../src/ingest/ingest.processor.js';
import type { LoadedModel } from '../../src/models/model-loader.js';
import { writeContextModel } from '../helpers/context-model.js';
import { waitForLockWaiters } from '../helpers/lock-waits.js';
import { acceptEpochs, expectWholeNightScored, scoreWaitingNight } from '../helpers/night-race.js';
import { createRecording, openDb, type Recording } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { copyModels } from '../helpers/model-dirs.js';
import type { Night } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// An ML engineer switches the active model from a per-epoch one to a whole-night one while an
// upload of the same recording is being stored. Two uploads of one recording, one read under each
// model, are driven through processIngest on a real PostgreSQL; a third connection holds a lock
// so that the interleaving is known, not hoped for. No worker runs: the test is the worker.

const PER_EPOCH = 'wnr-v2';
const WHOLE_NIGHT = 'ctx-whole';

let env: TestEnv;
let models: { dir: string; remove(): void };
let api: RunningApp;
let ctx: AppContext;
let db: Kysely<Database>;

beforeAll(async () => {
  env = await createTestEnv();
  models = copyModels([PER_EPOCH]);
  writeContextModel(models.dir, WHOLE_NIGHT);
  api = await startTestApp(env, { roles: { web: true, worker: false }, env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: PER_EPOCH } });
  ctx = api.app.ctx;
  db = openDb(env);
});

afterAll(async () => {
  await api?.stop();
  await db?.destroy();
  await env?.dispose();
  models?.remove();
});

async function activate(version: string): Promise<LoadedModel> {
  const { active } = await ctx.registry.reload(version);
  return active;
}

/** Runs an ingest job as the worker would, resolving to its result or to the error it threw. */
function run(jobId: string): Promise<unknown> {
  return processIngest(ctx, jobId, ctx.logger).catch((err: unknown) => err);
}

/**
 * A plain connection holding `statement`'s row lock in an open transaction until released; release
 * runs `thenRun` (each with `id` as $1) in the same transaction before it commits.
 */
async function holdLock(statement: string, id: string): Promise<(...thenRun: string[]) => Promise<void>> {
  const client = new pg.Client({ connectionString: env.database.url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(statement, [id]);
  } catch (err) {
    await client.end();
    throw err;
  }
  return async (...thenRun) => {
    try {
      for (const text of thenRun) await client.query(text, [id]);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  };
}

/** Every epoch of the night is stored, and scored by the whole-night model as one night. */
async function expectStoredAndScored(rec: Recording, night: Night, jobs: readonly string[]): Promise<void> {
  const stored = await sql<{ n: number }>`SELECT count(*)::int AS n FROM epochs WHERE recording_id = ${rec.id}::uuid`.execute(db);
  expect(stored.rows[0]!.n).toBe(night.indices.length);
  await expectWholeNightScored(ctx, db, api.baseUrl, WHOLE_NIGHT, rec, night, jobs);
}

/**
 * Job 1 (per-epoch model) has written its epochs and is held, uncommitted, before its commit (the
 * recording's night refresh waits for a share lock); the model is switched; job 2 (whole-night
 * model) then stores its upload; the hold is released.
 */
async function raceWithUncommittedPerEpochWrite(rec: Recording, first: string, second: string): Promise<[unknown, unknown]> {
  await activate(PER_EPOCH);
  const release = await holdLock('SELECT 1 FROM recordings WHERE id = $1 FOR SHARE', rec.id);
  let one: Promise<unknown> | undefined;
  let two: Promise<unknown> | undefined;
  try {
    one = run(first);
    await waitForLockWaiters(db, 1);
    await activate(WHOLE_NIGHT);
    two = run(second);
    await waitForLockWaiters(db, 2);
  } finally {
    await release();
  }
  return [await one, await two];
}

describe('switching from a per-epoch to a whole-night model while a night is being stored', () => {
  it('stores an overlapping upload read under the whole-night model on its first attempt, not with a unique violation when the per-epoch write commits', async () => {
    const night = syntheticNight(41, 200);
    const rec = await createRecording(api.baseUrl);
    const first = await acceptEpochs(api.baseUrl, rec, night, 0, 120);
    const second = await acceptEpochs(api.baseUrl, rec, night, 60, 200);
    const [one, two] = await raceWithUncommittedPerEpochWrite(rec, first, second);
    expect(one).toMatchObject({ inserted: 120, model_version: PER_EPOCH });
    expect(two).not.toBeInstanceOf(Error);
    await scoreWaitingNight(ctx, rec.id);
    await expectStoredAndScored(rec, night, [first, second]);
  });

  it('scores the whole night, not just the whole-night upload as if it were the night, when the two uploads do not overlap', async () => {
    const night = syntheticNight(43, 200);
    const rec = await createRecording(api.baseUrl);
    const first = await acceptEpochs(api.baseUrl, rec, night, 0, 100);
    const second = await acceptEpochs(api.baseUrl, rec, night, 100, 200);
    const [one, two] = await raceWithUncommittedPerEpochWrite(rec, first, second);
    expect(one).toMatchObject({ inserted: 100, model_version: PER_EPOCH });
    expect(two).not.toBeInstanceOf(Error);
    await scoreWaitingNight(ctx, rec.id);
    await expectStoredAndScored(rec, night, [first, second]);
    const summary = await request(api.baseUrl, 'GET', `/v1/recordings/${rec.id}/summary?model_version=${WHOLE_NIGHT}`);
    expect(summary.status).toBe(200);
  });

  it('scores an upload that read the per-epoch model before the switch with the whole-night model when a whole-night upload stored the night first', async () => {
    const night = syntheticNight(47, 200);
    const rec = await createRecording(api.baseUrl);
    const first = await acceptEpochs(api.baseUrl, rec, night, 0, 100);
    const second = await acceptEpochs(api.baseUrl, rec, night, 100, 200);
    await activate(PER_EPOCH);
    // Job 1 reads the active model, then waits to start (its job row is locked).
    const release = await holdLock('SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE', first);
    let one: Promise<unknown> | undefined;
    try {
      one = run(first);
      await waitForLockWaiters(db, 1);
      await activate(WHOLE_NIGHT);
      expect(await run(second)).toMatchObject({ inserted: 100, model_version: WHOLE_NIGHT });
    } finally {
      await release();
    }
    expect(await one).not.toBeInstanceOf(Error);
    await scoreWaitingNight(ctx, rec.id);
    await expectStoredAndScored(rec, night, [first, second]);
  });

  it('leaves a job that another run of it stored under the whole-night model to that night scoring (no per-epoch write, no lock-order inversion)', async () => {
    const night = syntheticNight(43, 100);
    const rec = await createRecording(api.baseUrl);
    const job = await acceptEpochs(api.baseUrl, rec, night, 0, 100);
    await activate(PER_EPOCH);
    // This run starts, then waits for its job row; meanwhile another run of the same job (a redelivery)
    // commits it as stored and awaiting its night scoring, as storeForNightScoring does.
    const release = await holdLock('SELECT 1 FROM jobs WHERE id = $1 FOR KEY SHARE', job);
    let result: Promise<unknown>;
    try {
      result = run(job);
      await waitForLockWaiters(db, 1, '%for update%');
    } finally {
      await release('UPDATE jobs SET awaits_scoring = true WHERE id = $1');
    }
    expect(await result!).toBeNull();
    expect(await db.selectFrom('jobs').select(['state', 'awaits_scoring']).where('id', '=', job).executeTakeFirstOrThrow()).toEqual({ state: 'active', awaits_scoring: true });
    const written = await sql<{ n: number }>`SELECT (SELECT count(*) FROM epochs WHERE recording_id = ${rec.id}::uuid) + (SELECT count(*) FROM predictions WHERE recording_id = ${rec.id}::uuid) AS n`.execute(db);
    expect(Number(written.rows[0]!.n)).toBe(0);
  });
});
