import { sql, type Kysely } from 'kysely';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import type { Database } from '../../src/db/database.js';
import { buildDist } from '../../test/helpers/build-dist.js';
import { freePort, spawnEntry, waitUntil, type ChildHandle } from '../../test/helpers/processes.js';
import { createTestEnv, type TestEnv } from '../../test/helpers/test-app.js';
import { RssSampler } from './memory.js';

/** Operator token for API processes that require authentication (ignored by those that do not). */
export const BENCH_TOKEN = 'bench-admin-token-0123456789abcdef';
/** Headers of every benchmark request. */
export const BENCH_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` };

export interface Proc {
  readonly name: string;
  readonly handle: ChildHandle;
  readonly rss: RssSampler;
  readonly baseUrl: string;
}

/**
 * The system under test as real processes: its own database and queue prefix (dropped afterwards),
 * the API and worker entry points started with LOG_LEVEL=warn.
 */
export class BenchStack {
  readonly procs: Proc[] = [];
  private constructor(
    readonly testEnv: TestEnv,
    readonly dbHandle: DbHandle,
    private readonly overrides: Record<string, string>,
  ) {}

  static async create(overrides: Record<string, string> = {}): Promise<BenchStack> {
    // The processes run the compiled entry points, as in production: dist/ must be current.
    buildDist();
    const testEnv = await createTestEnv();
    return new BenchStack(testEnv, createDb(testEnv.database.url, 4), {
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_SECONDS: '30',
      NOCTIS_ADMIN_TOKEN: BENCH_TOKEN,
      // Benchmarks measure the service, not its limits: off per key and per tenant.
      RATE_LIMIT_PER_MINUTE: '0',
      TENANT_RATE_LIMIT_PER_MINUTE: '0',
      ...overrides,
    });
  }

  get db(): Kysely<Database> {
    return this.dbHandle.db;
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return this.testEnv.env({ ...this.overrides, ...extra });
  }

  async startApi(extra: Record<string, string> = {}): Promise<Proc> {
    const port = await freePort();
    return this.start('api', 'src/entry/web.ts', { ...extra, PORT: String(port) }, port);
  }

  async startWorker(extra: Record<string, string> = {}): Promise<Proc> {
    const port = await freePort();
    return this.start(`worker${this.procs.filter((p) => p.name.startsWith('worker')).length + 1}`, 'workers/main.ts', { ...extra, METRICS_PORT: String(port) }, port);
  }

  private async start(name: string, entry: string, extra: Record<string, string>, port: number): Promise<Proc> {
    const handle = spawnEntry(entry, this.env(extra));
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitUntil(`${name} to be ready`, async () => {
      if (handle.child.exitCode !== null) throw new Error(`${name} exited: ${handle.output()}`);
      return (await fetch(`${baseUrl}/readyz`).catch(() => null))?.status === 200;
    }, 60_000, 100);
    const proc: Proc = { name, handle, rss: new RssSampler(handle.child.pid!), baseUrl };
    this.procs.push(proc);
    return proc;
  }

  /** Stops one process (SIGTERM, SIGKILL after 20 s) before the stack is disposed. */
  async stop(proc: Proc): Promise<void> {
    proc.rss.stop();
    const timer = setTimeout(() => proc.handle.child.kill('SIGKILL'), 20_000);
    await proc.handle.kill('SIGTERM');
    clearTimeout(timer);
    this.procs.splice(this.procs.indexOf(proc), 1);
  }

  /** `count` recordings (one device) written straight into the database: setup, not measured. */
  async createRecordings(count: number, featureSchemaVersion = 'sleep-accel-v1'): Promise<string[]> {
    const result = await sql<{ id: string }>`
      WITH d AS (INSERT INTO devices (external_id, metadata) VALUES (${`bench-${Date.now()}`}, '{}') RETURNING id)
      INSERT INTO recordings (device_id, started_at, feature_schema_version, epoch_seconds, metadata)
      SELECT d.id, '2026-11-25T22:00:00Z'::timestamptz, ${featureSchemaVersion}, 30, '{}' FROM d, generate_series(1, ${count})
      RETURNING id`.execute(this.db);
    return result.rows.map((r) => r.id);
  }

  /** Stops every process with SIGTERM (SIGKILL after 20 s), then drops the database and queue keys. */
  async dispose(): Promise<void> {
    for (const p of this.procs) p.rss.stop();
    await Promise.all(
      this.procs.map(async (p) => {
        const timer = setTimeout(() => p.handle.child.kill('SIGKILL'), 20_000);
        await p.handle.kill('SIGTERM');
        clearTimeout(timer);
      }),
    );
    await this.dbHandle.db.destroy();
    await this.testEnv.dispose();
  }
}

/** Nights from the shared sleep-accel data, as the request bodies clients send. */
export interface NightBody {
  readonly epochs: number;
  /** JSON with the placeholder `__RECORDING__` for the recording id. */
  readonly template: string;
}

export const withRecording = (body: NightBody, recordingId: string): string => body.template.replace('__RECORDING__', recordingId);
