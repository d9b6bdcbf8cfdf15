import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { freePort, spawnEntry } from '../helpers/processes.js';
import { TEST_REDIS_URL, TEST_SERVER_URL, databaseUrl, uniqueName } from '../helpers/services.js';

// The release step as the image, the compose `release` service and the Procfile run it:
// node dist/src/entry/migrate.js, whose migrations are the compiled ones in dist/migrations.

const name = uniqueName('noctis_release');
const url = databaseUrl(TEST_SERVER_URL, name);
const migrate = (databaseUrl: string) => spawnEntry('src/entry/migrate.ts', { DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'info' });

async function applied(): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>('SELECT name FROM kysely_migration ORDER BY name')).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

describe('node dist/src/entry/migrate.js', () => {
  afterAll(async () => {
    const client = new pg.Client({ connectionString: TEST_SERVER_URL });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`).finally(() => client.end());
  });

  it('creates a missing database and applies every migration, then finds nothing to do', async () => {
    const first = migrate(url);
    expect(await first.exited, first.output()).toBe(0);
    expect(first.output()).toContain('"msg":"created the database"');
    expect(await applied()).toEqual(Object.keys(migrations).sort());
    const again = migrate(url);
    expect(await again.exited, again.output()).toBe(0);
    expect(again.output()).not.toContain('"msg":"migration"');
    expect(again.output()).toContain('"msg":"migrations are current"');
  });

  it('exits 1 when PostgreSQL cannot be reached', async () => {
    const nowhere = databaseUrl(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, name);
    const run = migrate(nowhere);
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('"msg":"migration failed"');
  });
});
