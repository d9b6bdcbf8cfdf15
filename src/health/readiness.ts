import { sql } from 'kysely';
import type { AppContext } from '../app-context.js';
import { pendingMigrations } from '../db/migrator.js';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

const within = <T>(ms: number, work: Promise<T>): Promise<T> =>
  Promise.race([work, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

async function check(work: () => Promise<string | undefined>): Promise<CheckResult> {
  try {
    const problem = await within(2000, work());
    return problem ? { ok: false, detail: problem } : { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/** Database, migrations, Redis and the active model; each check bounded so a hung dependency reads as down. */
export async function readiness(ctx: AppContext): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
  const [database, migrations, redis] = await Promise.all([
    check(async () => {
      await sql`SELECT 1`.execute(ctx.db);
      return undefined;
    }),
    check(async () => {
      const pending = await pendingMigrations(ctx.db);
      return pending.length ? `pending migrations: ${pending.join(', ')}` : undefined;
    }),
    check(async () => ((await ctx.redis.ping()) === 'PONG' ? undefined : 'unexpected PING answer')),
  ]);
  const active = ctx.registry.active();
  const model: CheckResult = active ? { ok: true, detail: active.version } : { ok: false, detail: ctx.registry.current().activeError ?? 'no active model' };
  const checks = { database, migrations, redis, model };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}
