import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { request } from '../helpers/http.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';
import { countRows, newRecording, spawnReady, waitForAllJobs, type Spawned } from './support.js';

const SHUTDOWN_TIMEOUT_SECONDS = 20;

interface Sent {
  startedAt: number;
  recording: string;
  epochs: number;
  status?: number;
  body?: any;
  error?: string;
}

describe('SIGTERM during load', () => {
  let env: TestEnv;
  let handle: DbHandle;
  const procs: Spawned[] = [];

  beforeAll(async () => {
    env = await createTestEnv();
    handle = createDb(env.database.url, 2);
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.handle.kill()));
    await handle.db.destroy();
    await env.dispose();
  });

  it('drains: in-flight requests get complete answers, both processes exit 0 in time, and a new worker completes every accepted job', async () => {
    const processEnv = env.env({ SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS), WORKER_CONCURRENCY: '2', LOG_LEVEL: 'warn' });
    const api = await spawnReady('src/entry/web.ts', processEnv);
    const worker = await spawnReady('workers/main.ts', processEnv);
    procs.push(api, worker);
    onTestFailed(() => console.error(procs.map((p) => p.handle.output()).join('\n---\n')));

    const nights = syntheticNights(6);
    const bodies = nights.map((n) => ({ packed: packRows(n.features), epochs: n.features.length }));
    const recordings: string[] = [];
    for (let r = 0; r < 120; r++) recordings.push(await newRecording(api.baseUrl, `drain-${r}`));

    const sent: Sent[] = [];
    let next = 0;
    let sigtermAt = Infinity;
    const client = async () => {
      while (next < recordings.length && Date.now() < sigtermAt + 10_000) {
        const k = next++;
        const night = bodies[k % bodies.length]!;
        const entry: Sent = { startedAt: Date.now(), recording: recordings[k]!, epochs: night.epochs };
        sent.push(entry);
        try {
          const res = await request(api.baseUrl, 'POST', '/v1/epochs:ingest', { recording_id: entry.recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: night.packed });
          entry.status = res.status;
          entry.body = res.body;
        } catch (err) {
          // Refused or reset after the listener closed: the client never heard yes and retries elsewhere.
          entry.error = String((err as Error).cause ?? err);
          if (Date.now() > sigtermAt) return;
        }
      }
    };
    const clients = Array.from({ length: 6 }, client);
    // Let jobs pile up and run, then ask both processes to stop while requests and jobs are in flight.
    await new Promise((r) => setTimeout(r, 1500));
    const active = await handle.db.selectFrom('jobs').select('state').execute();
    expect(active.length).toBeGreaterThan(0);
    sigtermAt = Date.now();
    api.handle.child.kill('SIGTERM');
    worker.handle.child.kill('SIGTERM');
    const [apiExit, workerExit] = await Promise.all([api.handle.exited, worker.handle.exited]);
    const stoppedIn = (Date.now() - sigtermAt) / 1000;
    await Promise.all(clients);

    expect(apiExit).toBe(0);
    expect(workerExit).toBe(0);
    expect(stoppedIn).toBeLessThan(SHUTDOWN_TIMEOUT_SECONDS);
    // Every answer is complete: a 202 with its job, never a 5xx or a cut-off body.
    const answered = sent.filter((s) => s.status !== undefined);
    for (const s of answered) {
      expect(s.status, JSON.stringify(s.body)).toBe(202);
      expect(typeof s.body.job_id).toBe('string');
    }
    // Requests in flight at the signal were answered (a margin for one still on the wire).
    expect(sent.filter((s) => s.startedAt < sigtermAt - 100 && s.status === undefined)).toEqual([]);
    expect(answered.length).toBeGreaterThan(6);

    // A fresh worker finishes whatever the stopped one handed back or never started.
    procs.push(await spawnReady('workers/main.ts', processEnv));
    const jobs = await waitForAllJobs(handle.db, 90_000);
    expect(jobs.map((j) => j.id).sort()).toEqual(answered.map((s) => s.body.job_id).sort());
    for (const s of answered) {
      const job = jobs.find((j) => j.id === s.body.job_id)!;
      expect(job.state).toBe('completed');
      expect(job.result.inserted).toBe(s.epochs);
      expect(await countRows(handle.db, 'epochs', s.recording)).toBe(s.epochs);
      expect(await countRows(handle.db, 'predictions', s.recording)).toBe(s.epochs);
    }
  }, 150_000);
});
