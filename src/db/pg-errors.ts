/** PostgreSQL SQLSTATE codes the repositories translate into domain errors. */
export const PG_UNIQUE_VIOLATION = '23505';
/** A row this statement refers to is gone (deleted by a transaction that committed meanwhile). */
export const PG_FOREIGN_KEY_VIOLATION = '23503';
/** A NUL (U+0000) in a text parameter, and in a jsonb string, respectively. */
export const PG_CHARACTER_NOT_IN_REPERTOIRE = '22021';
export const PG_UNTRANSLATABLE_CHARACTER = '22P05';
/** The database named in the connection string does not exist. */
export const PG_UNKNOWN_DATABASE = '3D000';

export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
