import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../src/db/connection.js';
import { ensureDatabase, migrateToLatest } from '../../src/db/migrator.js';
import { createRecording, ingestPacked } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { startRedis } from '../helpers/processes.js';
import { REPO_ROOT, TEST_SERVER_URL, databaseUrl, uniqueName } from '../helpers/services.js';
import { syntheticNights } from '../helpers/synthetic-night.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { createTestEnv, startTestApp, type TestEnv } from '../helpers/test-app.js';

// The deployment defaults: what docker-compose.yml resolves to, the database role its init script
// creates (the app migrates and runs as that non-superuser owner of one schema), and a Redis that
// wants a password carried by REDIS_URL.

const EXAMPLE_ENV = path.join(REPO_ROOT, 'ops/compose.env.example');
const INIT_SCRIPT = path.join(REPO_ROOT, 'ops/db/init/100_noctis_role.sh');
const hasCompose = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

interface Service {
  image?: string;
  restart?: string;
  mem_limit?: string | number;
  ports?: Array<{ published: number | string; target: number }>;
  environment?: Record<string, string>;
  command?: string[];
  volumes?: string[];
}

/** `docker-compose config` of the file with `envFile`, as JSON (through PyYAML, which docker-compose ships with). */
function composeConfig(envFile: string): { services: Record<string, Service> } {
  // Only the env file supplies values: nothing from this process's environment.
  const env = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root' };
  const yaml = execFileSync('docker-compose', ['--env-file', envFile, '-f', 'docker-compose.yml', 'config'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const json = execFileSync('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], { input: yaml });
  return JSON.parse(json.toString());
}

describe.skipIf(!hasCompose)('docker-compose.yml' + (hasCompose ? '' : ' [skipped: docker-compose is not installed]'), () => {
  let services: Record<string, Service>;
  let example: Record<string, string>;
  beforeAll(() => {
    services = composeConfig(EXAMPLE_ENV).services;
    example = Object.fromEntries(
      execFileSync('grep', ['-E', '^[A-Z_]+=', EXAMPLE_ENV]).toString().trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
  });

  it('does not resolve without its secrets', () => {
    const empty = path.join(mkdtempSync(path.join(tmpdir(), 'compose-')), 'empty.env');
    writeFileSync(empty, '');
    let stderr = '';
    try {
      composeConfig(empty);
    } catch (err) {
      stderr = String((err as { stderr?: Buffer }).stderr ?? '');
    }
    expect(stderr).toMatch(/set [A-Z_]+ in the env file/);
  });

  it('gives every service a restart policy and a memory limit', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'db', 'redis', 'release', 'worker']);
    for (const [name, service] of Object.entries(services)) {
      expect(service.restart, name).toMatch(/^(unless-stopped|always|on-failure)/);
      expect(service.mem_limit, name).toBeDefined();
    }
  });

  it('publishes only the API port', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0);
    expect(published.map(([name, s]) => [name, s.ports!.map((p) => `${p.published}:${p.target}`)])).toEqual([['api', ['8000:8000']]]);
  });

  it('pins a TimescaleDB release after the ON CONFLICT DO NOTHING fix for compressed chunks (#7672, 2.18.1)', () => {
    const tag = /^timescale\/timescaledb:(\d+)\.(\d+)\.(\d+)-pg\d+$/.exec(services['db']!.image ?? '');
    expect(tag, services['db']!.image).not.toBeNull();
    const [major, minor, patch] = tag!.slice(1).map(Number) as [number, number, number];
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(2_018_001);
  });

  it('runs the app as the non-superuser schema owner the init script creates, with Redis and metrics behind secrets', () => {
    expect(services['db']!.volumes).toContainEqual(expect.stringMatching(/ops\/db\/init\/100_noctis_role\.sh:\/docker-entrypoint-initdb\.d\/[^:]+\.sh:ro$/));
    // `$$` is compose's escape: the shell in the container expands the variable, compose does not.
    expect(services['redis']!.command!.join(' ')).toContain('--requirepass "$$REDIS_PASSWORD"');
    expect(services['redis']!.environment!['REDIS_PASSWORD']).toBe(example['REDIS_PASSWORD']);
    for (const name of ['release', 'api', 'worker']) {
      const env = services[name]!.environment!;
      const database = new URL(env['DATABASE_URL']!);
      expect(database.username, name).toBe('noctis');
      expect(database.password, name).toBe(example['NOCTIS_DB_PASSWORD']);
      expect(new URL(env['REDIS_URL']!).password, name).toBe(example['REDIS_PASSWORD']);
      expect(env['METRICS_TOKEN'], name).toBe(example['METRICS_TOKEN']);
      expect(env['METRICS_TOKEN']!.length, name).toBeGreaterThanOrEqual(16);
    }
  });
});

describe('the database role of ops/db/init: the app migrates and runs as a non-superuser owning only its schema', () => {
  let database: TestDatabase;
  let testEnv: TestEnv;
  let roleUrl: string;
  const role = uniqueName('noctis_role');
  const admin = () => new pg.Client({ connectionString: database.url });

  beforeAll(async () => {
    database = await createTestDatabase(false);
    testEnv = await createTestEnv();
    const server = new URL(TEST_SERVER_URL);
    const password = randomBytes(12).toString('hex');
    execFileSync('bash', [INIT_SCRIPT], {
      env: {
        PATH: process.env['PATH'] ?? '',
        PGHOST: server.hostname,
        PGPORT: server.port || '5432',
        POSTGRES_USER: decodeURIComponent(server.username),
        POSTGRES_DB: database.name,
        NOCTIS_DB_USER: role,
        NOCTIS_DB_PASSWORD: password,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = new URL(databaseUrl(TEST_SERVER_URL, database.name));
    url.username = role;
    url.password = password;
    roleUrl = url.toString();
  });

  afterAll(async () => {
    await testEnv?.dispose();
    await database?.drop();
    const client = new pg.Client({ connectionString: TEST_SERVER_URL });
    await client.connect();
    await client.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`).finally(() => client.end());
  });

  it('creates a role that is no superuser and cannot create databases, roles or schemas', async () => {
    const client = admin();
    await client.connect();
    try {
      const { rows } = await client.query('SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = $1', [role]);
      expect(rows).toEqual([{ rolsuper: false, rolcreatedb: false, rolcreaterole: false, rolreplication: false, rolbypassrls: false }]);
    } finally {
      await client.end();
    }
    const asRole = new pg.Client({ connectionString: roleUrl });
    await asRole.connect();
    try {
      await expect(asRole.query('CREATE SCHEMA elsewhere')).rejects.toMatchObject({ code: '42501' });
      await expect(asRole.query('CREATE TABLE public.stray (x int)')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await asRole.end();
    }
  });

  it('migrates as that role: every table in its own schema, owned by it', async () => {
    expect(await ensureDatabase(roleUrl)).toBe(false);
    const { db } = createDb(roleUrl, 1);
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
    const client = admin();
    await client.connect();
    try {
      const { rows } = await client.query<{ schemaname: string; tablename: string; tableowner: string }>(
        "SELECT schemaname, tablename, tableowner FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY tablename",
      );
      expect(rows.map((r) => r.tablename)).toEqual(expect.arrayContaining(['epochs', 'predictions', 'labels', 'recordings', 'jobs', 'kysely_migration']));
      expect(rows.filter((r) => r.schemaname !== role || r.tableowner !== role)).toEqual([]);
    } finally {
      await client.end();
    }
  });

  it('serves and scores a night connected as that role', async () => {
    const app = await startTestApp(testEnv, { env: { DATABASE_URL: roleUrl } });
    try {
      const [night] = syntheticNights(1);
      const rec = await createRecording(app.baseUrl);
      const job = await ingestPacked(app.baseUrl, rec.id, 0, night!.features.slice(0, 200));
      expect(job.result).toMatchObject({ inserted: 200, predicted: 200 });
      expect((await request(app.baseUrl, 'GET', `/v1/recordings/${rec.id}/predictions`)).body.items).toHaveLength(200);
    } finally {
      await app.stop();
    }
  });
});

describe('a Redis that wants a password, carried by REDIS_URL', () => {
  it('refuses clients without it and runs the queues for an app whose REDIS_URL has it', async () => {
    const password = randomBytes(12).toString('hex');
    const redis = await startRedis(undefined, password);
    const testEnv = await createTestEnv();
    try {
      const anonymous = spawnSync('redis-cli', ['-p', String(redis.port), 'set', 'x', '1'], { encoding: 'utf8' });
      expect(anonymous.stdout + anonymous.stderr).toMatch(/NOAUTH/);
      expect(new URL(redis.url).password).toBe(password);
      const app = await startTestApp(testEnv, { env: { REDIS_URL: redis.url } });
      try {
        expect((await request(app.baseUrl, 'GET', '/readyz')).status).toBe(200);
        const rec = await createRecording(app.baseUrl);
        const job = await ingestPacked(app.baseUrl, rec.id, 0, syntheticNights(1)[0]!.features.slice(0, 50));
        expect(job.result).toMatchObject({ inserted: 50, predicted: 50 });
      } finally {
        await app.stop();
      }
    } finally {
      await testEnv.dispose();
      await redis.stop();
    }
  });
});
