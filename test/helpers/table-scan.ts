import { sql, type Kysely } from 'kysely';

/**
 * Every row, of every table in the public schema, whose text (the whole row cast to text, so every
 * column) contains one of `needles`: what an erase must leave nothing of. Tables are listed from
 * information_schema, so a table added later is scanned without touching the test.
 */
export async function rowsMentioning(db: Kysely<any>, needles: readonly string[], schemas: readonly string[] = ['public']): Promise<Record<string, number>> {
  const tables = await sql<{ table_schema: string; table_name: string }>`
    SELECT table_schema, table_name FROM information_schema.tables
    WHERE table_schema = ANY(${schemas}::text[]) AND table_type = 'BASE TABLE' ORDER BY table_schema, table_name`.execute(db);
  const found: Record<string, number> = {};
  for (const { table_schema, table_name } of tables.rows) {
    for (const needle of needles) {
      const res = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(`${table_schema}.${table_name}`)} t WHERE t::text LIKE ${`%${needle}%`}`.execute(db);
      const n = Number(res.rows[0]!.n);
      const name = table_schema === 'public' ? table_name : `${table_schema}.${table_name}`;
      if (n > 0) found[`${name}:${needle}`] = n;
    }
  }
  return found;
}
