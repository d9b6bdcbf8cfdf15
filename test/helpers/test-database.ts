import pg from 'pg';
import { createDb } from '../../src/db/connection.js';
import { ensureDatabase, migrateToLatest } from '../../src/db/migrator.js';
import { TEST_SERVER_URL, databaseUrl, uniqueName } from './services.js';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** A freshly migrated database of its own for one test file. */
export async function createTestDatabase(migrate = true): Promise<TestDatabase> {
  const name = uniqueName('noctis_t');
  const url = databaseUrl(TEST_SERVER_URL, name);
  await ensureDatabase(url);
  if (migrate) {
    const { db } = createDb(url, 1);
    try {
      await migrateToLatest(db);
    } finally {
      await db.destroy();
    }
  }
  return {
    name,
    url,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_SERVER_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
