import { type Kysely, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import type { Database } from '../../src/db/database.js';
import { processIngest } from '../../src/ingest/ingest.processor.js';
import { processPredict } from '../../src/predictions/predict.processor.js';
import { processRescoreChunk } from '../../src/rescore/rescore.chunk.js';
import { processRescorePlan } from '../../src/rescore/rescore.planner.js';
import { writeContextModel } from '../helpers/context-model.js';
import { lockWaiters } from '../helpers/lock-waits.js';
import { acceptEpochs, expectWholeNightScored, scoreWaitingNight, wholeNightScores } from '../helpers/night-race.js';
import { createRecording, openDb, type Recording } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { copyModels } from '../helpers/model-dirs.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// A re-score (or a predict job of a stored recording) with the active whole-night model runs while
// an upload of the same recording is stored and its night scored. The scoring is held right after
// it has read the stored night; whatever the code lets through meanwhile (the upload, then the
// night scoring) runs to its end or to a lock wait seen in pg_stat_activity. No worker runs: the
// test is the worker. The final predictions must be the whole stored night's.

const WHOLE_NIGHT = 'ctx-whole';

let env: TestEnv;
let models: { dir: string; remove(): void };
let api: RunningApp;
let ctx: AppContext;
let db: Kysely<Database>;

beforeAll(async () => {
  env = await createTestEnv();
  models = copyModels([]);
  writeContextModel(models.dir, WHOLE_NIGHT);
  api = await startTestApp(env, { roles: { web: true, worker: false }, env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: WHOLE_NIGHT } });
  ctx = api.app.ctx;
  db = openDb(env);
});

afterAll(async () => {
  await api?.stop();
  await db?.destroy();
  await env?.dispose();
  models?.remove();
});

/**
 * Holds the first read of a night's stored features (loadStoredNight: epochs' `features`) after its
 * rows arrived, until released. The query ran on the real database; only its caller waits.
 */
class NightReadGate implements KyselyPlugin {
  private readonly reads = new WeakSet<object>();
  private armed = true;
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  private hit!: () => void;
  readonly reached = new Promise<void>((resolve) => (this.hit = resolve));

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'SelectQueryNode' && JSON.stringify(node.from).includes('"name":"epochs"') && JSON.stringify(node.selections).includes('"name":"features"')) this.reads.add(queryId);
    return node;
  }

  async transformResult({ result, queryId }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.armed && this.reads.has(queryId)) {
      this.armed = false;
      this.hit();
      await this.opened;
    }
    return result;
  }

  release(): void {
    this.open();
  }
}

/** Polls until `done()` or until a backend of the test database waits for a lock. */
async function untilDoneOrLockWait(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (done()) return;
    if ((await lockWaiters(db)).length > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the upload neither finished nor waited for a lock');
}

/**
 * A recording whose first `stored` epochs are stored and scored, and an accepted upload of the rest.
 * Scoring the first part alone gives other predictions for it than scoring the whole night.
 */
async function nightWithPendingUpload(seed: number, stored: number, total: number) {
  const night = syntheticNight(seed, total);
  const rec = await createRecording(api.baseUrl);
  const first = await acceptEpochs(api.baseUrl, rec, night, 0, stored);
  expect(await processIngest(ctx, first, ctx.logger)).toMatchObject({ inserted: stored, predicted: stored, model_version: WHOLE_NIGHT });
  const second = await acceptEpochs(api.baseUrl, rec, night, stored, total);
  expect(wholeNightScores(ctx, WHOLE_NIGHT, night, stored)).not.toEqual(wholeNightScores(ctx, WHOLE_NIGHT, night, total).slice(0, stored));
  return { night, rec, jobs: [first, second] };
}

/**
 * Runs `scoring` (with its night read held) against the upload `upload` and the night scoring that
 * follows it: each runs to its end unless it waits for a lock, then the read is released.
 */
async function raceUploadWith(rec: Recording, upload: string, scoring: (gated: AppContext) => Promise<unknown>): Promise<unknown> {
  const gate = new NightReadGate();
  const scored = scoring({ ...ctx, db: ctx.db.withPlugin(gate) }).catch((err: unknown) => err);
  let stored: Promise<unknown> | undefined;
  try {
    // A scoring that fails before its night read ends the wait with its error.
    const early = await Promise.race([gate.reached.then(() => null), scored.then((outcome) => ({ outcome }))]);
    expect(early, 'the scoring ended before reading the night').toBeNull();
    let settled = false;
    stored = processIngest(ctx, upload, ctx.logger).catch((err: unknown) => err).finally(() => (settled = true));
    await untilDoneOrLockWait(() => settled);
    // The upload went through: its night scoring may too.
    if (settled) await scoreWaitingNight(ctx, rec.id);
  } finally {
    gate.release();
  }
  const outcome = await scored;
  expect(await stored).not.toBeInstanceOf(Error);
  await scoreWaitingNight(ctx, rec.id);
  return outcome;
}

describe('a scoring of a stored night with the whole-night model while an upload of it is stored and scored', () => {
  it('re-score: the predictions of the whole stored night win, not those of the night the re-score read before the upload', async () => {
    const { night, rec, jobs } = await nightWithPendingUpload(53, 100, 200);
    const res = await request(api.baseUrl, 'POST', '/v1/rescore', { recording_ids: [rec.id] });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const jobId = res.body.job_id as string;
    await processRescorePlan(ctx, jobId, ctx.logger);
    const chunk = await db.selectFrom('rescore_chunks').select('id').where('job_id', '=', jobId).executeTakeFirstOrThrow();
    const outcome = await raceUploadWith(rec, jobs[1]!, (gated) => processRescoreChunk(gated, jobId, chunk.id, ctx.logger));
    expect(outcome).toMatchObject({ state: 'completed' });
    expect((await db.selectFrom('jobs').select('state').where('id', '=', jobId).executeTakeFirstOrThrow()).state).toBe('completed');
    await expectWholeNightScored(ctx, db, api.baseUrl, WHOLE_NIGHT, rec, night, jobs);
  });

  it('predict job of a stored recording: the predictions of the whole stored night win', async () => {
    const { night, rec, jobs } = await nightWithPendingUpload(59, 100, 200);
    const res = await request(api.baseUrl, 'POST', '/v1/predict', { recording_id: rec.id });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.model_version).toBe(WHOLE_NIGHT);
    const jobId = res.body.job_id as string;
    const outcome = await raceUploadWith(rec, jobs[1]!, (gated) => processPredict(gated, jobId));
    expect(outcome).toMatchObject({ model_version: WHOLE_NIGHT });
    await expectWholeNightScored(ctx, db, api.baseUrl, WHOLE_NIGHT, rec, night, jobs);
  });
});
