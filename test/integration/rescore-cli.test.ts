import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { runCli } from '../helpers/cli.js';
import { createRecording, ingestPacked } from '../helpers/fixtures.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { freePort } from '../helpers/processes.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

describe('npm run cli -- rescore', () => {
  let env: TestEnv;
  let app: RunningApp;
  let handle: DbHandle;
  let epochs = 0;

  beforeAll(async () => {
    env = await createTestEnv();
    app = await startTestApp(env, { env: { ACTIVE_MODEL_VERSION: 'wnr-v1', RESCORE_CHUNK_EPOCHS: '200' } });
    handle = createDb(env.database.url, 1);
    for (const night of syntheticNights(2)) {
      const recording = await createRecording(app.baseUrl);
      await ingestPacked(app.baseUrl, recording.id, 0, night.features);
      epochs += night.features.length;
    }
  });

  afterAll(async () => {
    await app?.stop();
    await handle?.db.destroy();
    await env?.dispose();
  });

  it('starts a re-score with --model, shows progress with --wait and exits 0 when it completed', async () => {
    const run = await runCli(['rescore', '--model', 'wnr-v2', '--wait', '--poll-ms', '50'], env.env({ RESCORE_CHUNK_EPOCHS: '200' }));
    expect(run.code, run.stderr).toBe(0);
    const jobId = /rescore job ([0-9a-f-]{36}) started with model wnr-v2/.exec(run.stdout)?.[1];
    expect(jobId, run.stdout).toBeDefined();
    expect(run.stdout).toMatch(new RegExp(`rescore job ${jobId} completed: .*"rescored":${epochs}`));
    expect(run.stderr).toMatch(/\[#{30}\] 100%/);
    const job = await handle.db.selectFrom('jobs').selectAll().where('id', '=', jobId!).executeTakeFirstOrThrow();
    expect(job.params).toMatchObject({ model_version: 'wnr-v2', trigger: 'cli' });
    const count = await handle.db
      .selectFrom('predictions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('model_version', '=', 'wnr-v2')
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(epochs);
  });

  it('names a missing or malformed key option, and an unreachable or missing database, in one line', async () => {
    const revoke = await runCli(['keys', 'revoke', '--id', 'not-a-uuid'], env.env());
    expect(revoke.code).toBe(2);
    expect(revoke.stderr).toContain('--id: "not-a-uuid" is not a key id');
    const create = await runCli(['keys', 'create', '--scopes', 'read'], env.env());
    expect(create.code).toBe(2);
    expect(create.stderr.trim()).toBe('keys: --tenant <name> is required');
    const closed = `postgres://postgres@127.0.0.1:${await freePort()}/noctis`;
    const missing = env.database.url.replace(/\/[^/]+$/, '/noctis_no_such_database');
    for (const [url, text] of [[closed, 'cli: the database is unreachable (connect ECONNREFUSED 127.0.0.1:'], [missing, 'cli: database "noctis_no_such_database" does not exist']] as const) {
      const run = await runCli(['keys', 'list', '--tenant', 'x'], env.env({ DATABASE_URL: url }));
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain(text);
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
    }
  }, 60_000);

  it('exits 2 naming the problem for an unknown version or option', async () => {
    const [unknown, bad, none] = await Promise.all([
      runCli(['rescore', '--model', 'nope-v9'], env.env()),
      runCli(['rescore', '--bogus'], env.env()),
      runCli(['frobnicate'], env.env()),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('model_not_found');
    expect(bad.code).toBe(2);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('rescore');
  });
});
