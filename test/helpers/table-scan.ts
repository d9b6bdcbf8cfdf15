import { sql, type Kysely } from 'kysely';

/**
 * Every row, of every table in the public schema, whose text (the whole row cast to text, so every
 * column) contains one of `needles`: what an erase must leave nothing of. Tables are listed from
 * information_schema, so a table added later is scanned without touching the test.
 */
export async function rowsMentioning(db: Kysely<any>, needles: readonly string[]): Promise<Record<string, number>> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`.execute(db);
  const found: Record<string, number> = {};
  for (const { table_name } of tables.rows) {
    for (const needle of needles) {
      const res = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table_name)} t WHERE t::text LIKE ${`%${needle}%`}`.execute(db);
      const n = Number(res.rows[0]!.n);
      if (n > 0) found[`${table_name}:${needle}`] = n;
    }
  }
  return found;
}

export async function publicTables(db: Kysely<any>): Promise<string[]> {
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`.execute(db);
  return tables.rows.map((r) => r.table_name);
}
