import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { request, type JsonResponse } from '../helpers/http.js';
import { freePort, spawnEntry, waitUntil, type ChildHandle } from '../helpers/processes.js';
import { FEATURE_SCHEMA_VERSION } from '../helpers/sleep-data.js';

export interface Spawned {
  readonly handle: ChildHandle;
  readonly baseUrl: string;
}

/** Starts an entry (API or worker) as a real process and waits until its /readyz answers 200. */
export async function spawnReady(entry: 'src/entry/web.ts' | 'workers/main.ts', env: Record<string, string>, timeoutMs = 60_000): Promise<Spawned> {
  const port = await freePort();
  const handle = spawnEntry(entry, { ...env, ...(entry === 'workers/main.ts' ? { METRICS_PORT: String(port) } : { PORT: String(port) }) });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntil(`${entry} to be ready`, async () => {
    if (handle.child.exitCode !== null) throw new Error(`${entry} exited ${handle.child.exitCode}: ${handle.output()}`);
    return (await fetch(`${baseUrl}/readyz`).catch(() => null))?.status === 200;
  }, timeoutMs, 100);
  return { handle, baseUrl };
}

export async function newRecording(baseUrl: string, externalId: string): Promise<string> {
  const device = await request(baseUrl, 'POST', '/v1/devices', { external_id: externalId });
  if (device.status !== 201 && device.status !== 200) throw new Error(`device: ${device.status} ${JSON.stringify(device.body)}`);
  const recording = await request(baseUrl, 'POST', '/v1/recordings', {
    device_id: device.body.id,
    started_at: '2026-11-25T22:00:00Z',
    feature_schema_version: FEATURE_SCHEMA_VERSION,
  });
  if (recording.status !== 201) throw new Error(`recording: ${recording.status} ${JSON.stringify(recording.body)}`);
  return recording.body.id as string;
}

/** A synthetic night of `count` epochs (big ones keep a worker inside its transaction for a while). */
export function syntheticRows(count: number, seed = 0): number[][] {
  return Array.from({ length: count }, (_, i) => [((i + seed) * 7) % 300, 0.3 + ((i + seed) % 50) / 100, Math.cos(i / 500), i / 120, (i % 97) / 97]);
}

export function postPacked(baseUrl: string, recordingId: string, packed: string): Promise<JsonResponse> {
  return request(baseUrl, 'POST', '/v1/epochs:ingest', { recording_id: recordingId, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed });
}

export async function countRows(db: Kysely<Database>, table: 'epochs' | 'predictions', recordingId: string): Promise<number> {
  const row = await db
    .selectFrom(table)
    .select(sql<number>`count(*)::int`.as('n'))
    .where('recording_id', '=', recordingId)
    .executeTakeFirstOrThrow();
  return row.n;
}

export interface JobSummary {
  id: string;
  type: string;
  state: string;
  attempts: number;
  result: any;
  recording_id: string | null;
}

/** Waits until no job is queued or active; returns every job row. */
export async function waitForAllJobs(db: Kysely<Database>, timeoutMs: number): Promise<JobSummary[]> {
  await waitUntil('every job to finish', async () => {
    const open = await db.selectFrom('jobs').select(sql<number>`count(*)::int`.as('n')).where('state', 'in', ['queued', 'active']).executeTakeFirstOrThrow();
    return open.n === 0;
  }, timeoutMs, 200);
  return (await db.selectFrom('jobs').select(['id', 'type', 'state', 'attempts', 'result', 'recording_id']).execute()) as JobSummary[];
}
