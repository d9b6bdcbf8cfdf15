import { sql } from 'kysely';
import type { AppContext } from '../app-context.js';
import { migrations } from '../../migrations/index.js';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

export const CHECK_NAMES = ['database', 'migrations', 'redis', 'queue', 'model'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface ReadinessReport {
  readonly ready: boolean;
  /** Names of the failing checks: all an anonymous caller learns. */
  readonly failed: CheckName[];
  /** With details (driver messages, hosts, migration names): for logs and the operator token. */
  readonly checks: Record<CheckName, CheckResult>;
}

const CHECK_TIMEOUT_MS = 2000;

const within = <T>(ms: number, work: Promise<T>): Promise<T> =>
  Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

async function check(work: () => Promise<string | undefined>): Promise<CheckResult> {
  try {
    const problem = await within(CHECK_TIMEOUT_MS, work());
    return problem ? { ok: false, detail: problem } : { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/**
 * Readiness of one process: database, migrations, Redis, a real queue round trip and the active
 * model, each bounded so a hung dependency reads as down. Probes come every few seconds, so the
 * migration check reads the applied migrations until they are all there and then remembers it
 * (migrations never un-apply under a running process); failures are logged when they start and
 * when they change, not on every probe.
 */
export class Readiness {
  private migrationsApplied = false;
  private lastFailures = '';

  constructor(private readonly ctx: AppContext) {}

  async report(): Promise<ReadinessReport> {
    const { ctx } = this;
    const [database, migrationState, redis, queue] = await Promise.all([
      check(async () => {
        await sql`SELECT 1`.execute(ctx.db);
        return undefined;
      }),
      this.migrationsApplied ? Promise.resolve({ ok: true }) : check(() => this.pendingMigrations()),
      check(async () => ((await ctx.redis.ping()) === 'PONG' ? undefined : 'unexpected PING answer')),
      // PING proves a connection, not that BullMQ can run: its scripts touch the queue's keys, which
      // a Redis Cluster node refuses (MOVED) unless it owns their slot. getJobCounts runs one, on
      // every shard (each shard's keys may live on another master).
      check(async () => {
        await Promise.all(ctx.queues.shards.map((shard) => shard.ingest.getJobCounts('wait')));
        return undefined;
      }),
    ]);
    if (migrationState.ok) this.migrationsApplied = true;
    const active = ctx.registry.active();
    const model: CheckResult = active ? { ok: true, detail: active.version } : { ok: false, detail: ctx.registry.current().activeError ?? 'no active model' };
    const checks: Record<CheckName, CheckResult> = { database, migrations: migrationState, redis, queue, model };
    const failed = CHECK_NAMES.filter((name) => !checks[name].ok);
    this.logChanges(failed, checks);
    return { ready: failed.length === 0, failed, checks };
  }

  private async pendingMigrations(): Promise<string | undefined> {
    const { rows } = await sql<{ name: string }>`SELECT name FROM kysely_migration`.execute(this.ctx.db);
    const applied = new Set(rows.map((r) => r.name));
    const pending = Object.keys(migrations).filter((name) => !applied.has(name));
    return pending.length ? `pending migrations: ${pending.join(', ')}` : undefined;
  }

  private logChanges(failed: readonly CheckName[], checks: Record<CheckName, CheckResult>): void {
    const summary = failed.map((name) => `${name}: ${checks[name].detail ?? ''}`).join('; ');
    if (summary === this.lastFailures) return;
    this.lastFailures = summary;
    if (failed.length === 0) this.ctx.logger.info('ready');
    else this.ctx.logger.warn({ failed: Object.fromEntries(failed.map((name) => [name, checks[name].detail ?? null])) }, 'not ready');
  }
}
