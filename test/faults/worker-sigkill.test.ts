import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { spawnEntry, waitUntil, type ChildHandle } from '../helpers/processes.js';
import { packRows } from '../helpers/sleep-data.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';
import { countRows, newRecording, postPacked, spawnReady, syntheticRows, waitForAllJobs, type Spawned } from './support.js';

// Moved here from test/integration/durability.test.ts, now with the API as a real process too.
describe('a worker killed with SIGKILL in the middle of ingest jobs', () => {
  let env: TestEnv;
  let api: Spawned;
  let handle: DbHandle;
  const workers: ChildHandle[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    // Nights longer than the default recording limit keep a job inside its transaction long enough.
    api = await spawnReady('src/entry/web.ts', env.env({ LOG_LEVEL: 'warn', MAX_RECORDING_EPOCHS: '20000' }));
    handle = createDb(env.database.url, 2);
  });
  afterAll(async () => {
    await Promise.all([...workers.map((w) => w.kill()), api.handle.kill()]);
    await handle.db.destroy();
    await env.dispose();
  });

  it('loses nothing and duplicates nothing: every accepted epoch is stored exactly once', async () => {
    onTestFailed(() => console.error(workers.map((w, i) => `--- worker ${i}\n${w.output()}`).join('\n')));
    // Big synthetic nights so that jobs are still inside their transaction when the kill lands.
    const perJob = 20_000;
    const packed = packRows(syntheticRows(perJob));
    const recordings: string[] = [];
    const jobs: string[] = [];
    for (let r = 0; r < 8; r++) {
      const id = await newRecording(api.baseUrl, `kill-${r}`);
      recordings.push(id);
      const res = await postPacked(api.baseUrl, id, packed);
      expect(res.status).toBe(202);
      jobs.push(res.body.job_id as string);
    }

    const workerEnv = env.env({ JOB_LOCK_SECONDS: '2', WORKER_CONCURRENCY: '2', LOG_LEVEL: 'warn', MAX_RECORDING_EPOCHS: '20000' });
    const first = spawnEntry('workers/main.ts', workerEnv);
    workers.push(first);
    let activeAtKill: string[] = [];
    await waitUntil('a job to be active in the first worker', async () => {
      const active = await handle.db.selectFrom('jobs').select('id').where('state', '=', 'active').execute();
      activeAtKill = active.map((j) => j.id);
      return activeAtKill.length > 0;
    }, 60_000, 20);
    expect(await first.kill('SIGKILL')).toBe('SIGKILL');

    workers.push(spawnEntry('workers/main.ts', workerEnv));
    const results = await waitForAllJobs(handle.db, 120_000);
    expect(results.map((j) => j.id).sort()).toEqual([...jobs].sort());
    for (const job of results) {
      expect(job.state).toBe('completed');
      expect(job.result.accepted).toBe(perJob);
      // Each recording got exactly one job, so exactly-once means every job inserted everything.
      expect(job.result.inserted).toBe(perJob);
    }
    for (const id of recordings) {
      expect(await countRows(handle.db, 'epochs', id)).toBe(perJob);
      expect(await countRows(handle.db, 'predictions', id)).toBe(perJob);
    }
    const retried = results.filter((j) => activeAtKill.includes(j.id) && j.attempts >= 2);
    expect(retried.length).toBeGreaterThan(0);
    expect(await handle.db.selectFrom('ingest_payloads').select('job_id').execute()).toEqual([]);
  }, 180_000);
});
