import { sql, type Kysely, type Transaction } from 'kysely';
import type { Config } from '../config/config.js';
import type { Database } from '../db/database.js';
import { RETAINED_TABLES, type RetainedTable } from './retention.repository.js';

type PolicyConfig = Pick<Config, 'RETAIN_EPOCHS_DAYS' | 'RETAIN_PREDICTIONS_DAYS' | 'COMPRESS_AFTER_DAYS'>;

export async function timescaleInstalled(db: Kysely<Database>): Promise<boolean> {
  const { rows } = await sql`SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'`.execute(db);
  return rows.length > 0;
}

interface Policy {
  readonly proc: 'policy_retention' | 'policy_compression';
  /** The key of the job's config holding the age. */
  readonly key: 'drop_after' | 'compress_after';
  add(trx: Transaction<Database>, table: RetainedTable, days: number): Promise<unknown>;
  remove(trx: Transaction<Database>, table: RetainedTable): Promise<unknown>;
}

const RETENTION: Policy = {
  proc: 'policy_retention',
  key: 'drop_after',
  add: (trx, table, days) => sql`SELECT add_retention_policy(${table}::regclass, make_interval(days => ${days}::int))`.execute(trx),
  remove: (trx, table) => sql`SELECT remove_retention_policy(${table}::regclass, if_exists => true)`.execute(trx),
};

const COMPRESSION: Policy = {
  proc: 'policy_compression',
  key: 'compress_after',
  add: (trx, table, days) => sql`SELECT add_compression_policy(${table}::regclass, make_interval(days => ${days}::int))`.execute(trx),
  remove: (trx, table) => sql`SELECT remove_compression_policy(${table}::regclass, if_exists => true)`.execute(trx),
};

/** Adds, replaces or removes one policy so that it says `days` (undefined: no policy). */
async function syncPolicy(trx: Transaction<Database>, table: RetainedTable, policy: Policy, days: number | undefined): Promise<string> {
  const { rows } = await sql<{ same: boolean }>`
    SELECT (config->>${policy.key})::interval = make_interval(days => ${days ?? 0}::int) AS same
    FROM timescaledb_information.jobs WHERE proc_name = ${policy.proc} AND hypertable_name = ${table}`.execute(trx);
  const existing = rows[0];
  if (days === undefined) {
    if (existing) await policy.remove(trx, table);
    return existing ? 'removed' : 'none';
  }
  if (existing?.same) return 'kept';
  if (existing) await policy.remove(trx, table);
  await policy.add(trx, table, days);
  return existing ? 'changed' : 'added';
}

async function enableCompression(trx: Transaction<Database>, table: RetainedTable): Promise<void> {
  const { rows } = await sql<{ on: boolean }>`
    SELECT compression_enabled AS on FROM timescaledb_information.hypertables WHERE hypertable_name = ${table}`.execute(trx);
  if (rows[0]?.on) return;
  // Segmented by recording: every read and erase names one recording, so a compressed chunk is
  // read (or decompressed) one recording's segment at a time.
  await sql`ALTER TABLE ${sql.table(table)} SET (timescaledb.compress, timescaledb.compress_segmentby = 'recording_id')`.execute(trx);
}

/**
 * Makes TimescaleDB's retention and compression policies on epochs and predictions say what the
 * configuration says. Every worker runs this at start, so a changed value takes effect on the next
 * deploy; an advisory lock keeps two starting workers from adding the same policy twice. Returns
 * what it did per table and policy. Unsetting COMPRESS_AFTER_DAYS stops compressing new chunks and
 * leaves compressed ones as they are (reads and inserts work on both).
 */
export async function syncTimescalePolicies(db: Kysely<Database>, config: PolicyConfig): Promise<Record<string, string>> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtext('noctis.retention.policies'))`.execute(trx);
    const done: Record<string, string> = {};
    for (const table of RETAINED_TABLES) {
      const retain = table === 'epochs' ? config.RETAIN_EPOCHS_DAYS : config.RETAIN_PREDICTIONS_DAYS;
      done[`${table}.retention`] = await syncPolicy(trx, table, RETENTION, retain);
      if (config.COMPRESS_AFTER_DAYS !== undefined) await enableCompression(trx, table);
      done[`${table}.compression`] = await syncPolicy(trx, table, COMPRESSION, config.COMPRESS_AFTER_DAYS);
    }
    return done;
  });
}
