import { sql, type Kysely } from 'kysely';
import { NO_MIGRATIONS } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../../src/db/connection.js';
import { createMigrator, migrateToLatest } from '../../src/db/migrator.js';
import { migrations } from '../../migrations/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

// The plain-PostgreSQL counterpart of timescaledb.test.ts, on the test server (the local PostgreSQL,
// or whatever INTEGRATION_TEST_DATABASE_URL names).
const MIGRATOR_TABLES = ['kysely_migration', 'kysely_migration_lock'];

async function publicTables(db: Kysely<any>): Promise<string[]> {
  const { rows } = await sql<{ tablename: string }>`
    SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename COLLATE "C"`.execute(db);
  return rows.map((r) => r.tablename);
}

describe('migrations on the test PostgreSQL server', () => {
  let database: TestDatabase;
  let handle: DbHandle;

  beforeAll(async () => {
    database = await createTestDatabase(false);
    handle = createDb(database.url, 1);
  });

  afterAll(async () => {
    await handle?.db.destroy();
    await database?.drop();
  });

  it('migrates a fresh database to the latest version', async () => {
    const result = await migrateToLatest(handle.db);
    expect(result.results?.map((r) => [r.migrationName, r.status])).toEqual(
      Object.keys(migrations).map((name) => [name, 'Success']),
    );
    expect(await publicTables(handle.db)).toEqual(
      ['api_keys', 'audit_events', 'devices', 'epochs', 'erasures', 'ingest_payloads', 'jobs', ...MIGRATOR_TABLES, 'labels', 'model_choice', 'night_scores', 'night_scoring', 'night_summaries', 'predictions', 'recording_nights', 'recordings', 'rescore_chunks', 'rescore_plans', 'webhook_attempts', 'webhook_endpoints', 'webhook_events'].sort(),
    );
  });

  it('leaves epochs and predictions plain tables when the server does not offer timescaledb', async (ctx) => {
    const { rows: offered } = await sql`
      SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`.execute(handle.db);
    if (offered.length > 0) ctx.skip('this server offers timescaledb; timescaledb.test.ts covers that case');
    const { rows: extension } = await sql`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`.execute(handle.db);
    expect(extension).toEqual([]);
    const { rows } = await sql<{ relname: string; relkind: string; children: number }>`
      SELECT c.relname, c.relkind::text AS relkind,
             (SELECT count(*)::int FROM pg_inherits i WHERE i.inhparent = c.oid) AS children
      FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relname IN ('epochs', 'predictions')
      ORDER BY c.relname`.execute(handle.db);
    expect(rows).toEqual([
      { relname: 'epochs', relkind: 'r', children: 0 },
      { relname: 'predictions', relkind: 'r', children: 0 },
    ]);
  });

  it('stores accepted batches\' float32 bytes out of line without trying to compress them', async () => {
    const { rows } = await sql<{ storage: string }>`
      SELECT attstorage::text AS storage FROM pg_attribute
      WHERE attrelid = 'ingest_payloads'::regclass AND attname = 'features'`.execute(handle.db);
    expect(rows).toEqual([{ storage: 'e' }]);
  });

  it('does nothing when migrated again', async () => {
    const before = await publicTables(handle.db);
    const result = await migrateToLatest(handle.db);
    expect(result.results).toEqual([]);
    expect(await publicTables(handle.db)).toEqual(before);
  });

  it('migrates all the way down to no tables but the migrator bookkeeping, and back up', async () => {
    const down = await createMigrator(handle.db).migrateTo(NO_MIGRATIONS);
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => [r.direction, r.status])).toEqual(
      Object.keys(migrations).map(() => ['Down', 'Success']),
    );
    expect(await publicTables(handle.db)).toEqual(MIGRATOR_TABLES);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kysely_migration`.execute(handle.db);
    expect(rows[0]!.n).toBe(0);

    const up = await migrateToLatest(handle.db);
    expect(up.results).toHaveLength(Object.keys(migrations).length);
  });
});

describe('the operator scope migration', () => {
  let database: TestDatabase;
  let handle: DbHandle;

  beforeAll(async () => {
    database = await createTestDatabase(false);
    handle = createDb(database.url, 1);
  });
  afterAll(async () => {
    await handle?.db.destroy();
    await database?.drop();
  });

  it('makes admin keys of the default tenant operators and nothing else', async () => {
    const migrator = createMigrator(handle.db);
    expect((await migrator.migrateTo('2026_11_30_0001_add_night_scoring')).error).toBeUndefined();
    const seed = [
      ['default', ['ingest', 'read', 'admin']],
      ['default', ['admin']],
      ['default', ['read']],
      ['default', ['ingest']],
      ['acme', ['ingest', 'read', 'admin']],
    ] as const;
    for (const [i, [tenant, scopes]] of seed.entries()) {
      await sql`INSERT INTO api_keys (tenant, scopes, key_hash, key_prefix) VALUES (${tenant}, ${[...scopes]}::text[], ${`hash-${i}`}, 'nct_x')`.execute(handle.db);
    }
    expect((await migrator.migrateTo('2026_11_30_0101_grant_operator_scope')).error).toBeUndefined();
    const { rows } = await sql<{ key_hash: string; scopes: string[] }>`SELECT key_hash, scopes FROM api_keys ORDER BY key_hash`.execute(handle.db);
    expect(rows.map((r) => r.scopes)).toEqual([
      ['ingest', 'read', 'admin', 'operator'],
      ['admin', 'operator'],
      ['read'],
      ['ingest'],
      ['ingest', 'read', 'admin'],
    ]);
    expect((await migrator.migrateTo('2026_11_30_0001_add_night_scoring')).error).toBeUndefined();
    const { rows: back } = await sql<{ scopes: string[] }>`SELECT scopes FROM api_keys ORDER BY key_hash`.execute(handle.db);
    expect(back.map((r) => r.scopes)).toEqual(seed.map(([, scopes]) => [...scopes]));
  });
});
