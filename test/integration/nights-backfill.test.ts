import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { runCli } from '../helpers/cli.js';
import { ingestPacked } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { FEATURE_SCHEMA_VERSION } from '../helpers/sleep-data.js';
import { syntheticNight } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Recordings from before nights were stored: open, with predictions of two versions, their uploads
// two days old; one recording still receiving uploads.
describe('npm run cli -- nights backfill', () => {
  let env: TestEnv;
  let app: RunningApp;
  let handle: DbHandle;
  let device: string;
  const rec: Record<string, string> = {};

  async function recording(startedAt: string, epochs: number, seed: number): Promise<string> {
    const res = await request(app.baseUrl, 'POST', '/v1/recordings', { device_id: device, started_at: startedAt, feature_schema_version: FEATURE_SCHEMA_VERSION });
    await ingestPacked(app.baseUrl, res.body.id, 0, syntheticNight(seed, epochs).features);
    return res.body.id;
  }

  beforeAll(async () => {
    env = await createTestEnv();
    // The workers' idle closer would close the same recordings; it waits a day here.
    app = await startTestApp(env, { env: { RECORDING_IDLE_CHECK_SECONDS: '86400' } });
    handle = createDb(env.database.url, 1);
    device = (await request(app.baseUrl, 'POST', '/v1/devices', { external_id: 'old-watch', timezone: 'America/New_York' })).body.id;
    rec['night'] = await recording('2026-10-10T02:00:00Z', 960, 61); // 22:00 EDT to 06:00 EDT on 10 October
    rec['nap'] = await recording('2026-10-10T18:00:00Z', 120, 62); // 14:00–15:00 EDT
    rec['recent'] = await recording('2026-10-11T02:00:00Z', 240, 63); // ends 00:00 EDT on 11 October
    const predict = await request(app.baseUrl, 'POST', '/v1/predict', { recording_id: rec['night'], model_version: 'wnr-v1' });
    expect((await waitForJob(app.baseUrl, predict.body.job_id)).state).toBe('completed');
    const old = [rec['night']!, rec['nap']!];
    await sql`UPDATE recordings SET created_at = created_at - interval '2 days' WHERE id = ANY(${old}::uuid[])`.execute(handle.db);
    await sql`UPDATE jobs SET created_at = created_at - interval '2 days' WHERE recording_id = ANY(${old}::uuid[])`.execute(handle.db);
  });

  afterAll(async () => {
    await app?.stop();
    await handle?.db.destroy();
    await env?.dispose();
  });

  it('counts with --dry-run and closes nothing', async () => {
    const run = await runCli(['nights', 'backfill', '--dry-run'], env.env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('2 open recordings idle for 720 minutes would be closed\n');
    const open = await handle.db.selectFrom('recordings').select('id').where('closed_at', 'is', null).execute();
    expect(open).toHaveLength(3);
  });

  it('closes the idle recordings, storing their nights and every version’s summary, and leaves the active one open', async () => {
    const run = await runCli(['nights', 'backfill'], env.env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('closed 2 recordings; 0 failed; 3 night summaries stored in all\n');
    const body = (await request(app.baseUrl, 'GET', `/v1/devices/${device}/nights?from=2026-10-09&to=2026-10-12`)).body;
    expect(body.items.map((i: any) => [i.recording_id, i.date, i.is_main_sleep, i.closed])).toEqual([
      [rec['night'], '2026-10-10', true, true],
      [rec['nap'], '2026-10-10', false, true],
      [rec['recent'], '2026-10-11', true, false],
    ]);
    for (const version of ['wnr-v3', 'wnr-v1']) {
      const items = (await request(app.baseUrl, 'GET', `/v1/devices/${device}/nights?from=2026-10-10&to=2026-10-11&model_version=${version}`)).body.items;
      const summary = (await request(app.baseUrl, 'GET', `/v1/recordings/${rec['night']}/summary?model_version=${version}`)).body;
      expect(items[0].summary, version).toEqual(summary);
    }
    expect((await request(app.baseUrl, 'GET', `/v1/recordings/${rec['recent']}`)).body.closed_at).toBeNull();
  });

  it('does nothing when run again', async () => {
    const run = await runCli(['nights', 'backfill'], env.env());
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('closed 0 recordings; 0 failed; 3 night summaries stored in all\n');
  });

  it.each([[['nights', 'frobnicate']], [['nights', 'backfill', '--idle-minutes', '-1']]])('exits 2 on a usage mistake: %j', async (args) => {
    const run = await runCli(args, env.env());
    expect(run.code).toBe(2);
  });
});
