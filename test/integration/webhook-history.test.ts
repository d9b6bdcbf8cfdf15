import { CompiledQuery, sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { deleteWebhookHistoryBefore, webhookHistoryDeletes } from '../../src/webhooks/webhooks.repository.js';
import { openDb } from '../helpers/fixtures.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// Every worker's webhook dispatcher deletes the outbox and attempt history once a minute: the
// right rows, and each delete through an index rather than a scan of a table that only grows.

let env: TestEnv;
let db: Kysely<Database>;

beforeAll(async () => {
  env = await createTestEnv();
  db = openDb(env); // one connection: a SET holds for the EXPLAINs
});
afterAll(async () => {
  await db?.destroy();
  await env?.dispose();
});

const DAY = 86_400;

describe('webhook history', () => {
  it('deletes dispatched events and attempts older than the window, and nothing else', async () => {
    const ago = (seconds: number) => sql<Date>`now() - make_interval(secs => ${seconds})`;
    const events = await db
      .insertInto('webhook_events')
      .values([
        { tenant: 't', type: 'job.completed', data: '{}', created_at: ago(3 * DAY), dispatched_at: ago(3 * DAY - 5) }, // history
        { tenant: 't', type: 'job.completed', data: '{}', created_at: ago(3 * DAY), dispatched_at: null }, // never dispatched: kept
        { tenant: 't', type: 'job.completed', data: '{}', created_at: ago(2 * DAY + 10), dispatched_at: ago(DAY) }, // dispatched late: kept
        { tenant: 't', type: 'job.completed', data: '{}', created_at: ago(60), dispatched_at: ago(59) }, // recent: kept
      ])
      .returning('id')
      .execute();
    const endpoint = await db.insertInto('webhook_endpoints').values({ tenant: 't', url: 'https://example.com/hook', events: sql`ARRAY['job.completed']`, secret_ciphertext: Buffer.alloc(44) }).returning('id').executeTakeFirstOrThrow();
    const attempt = (at: number) => ({ endpoint_id: endpoint.id, event_id: events[0]!.id, event_type: 'job.completed', attempt: 1, status_code: 200, duration_ms: 3, at: ago(at) });
    await db.insertInto('webhook_attempts').values([attempt(3 * DAY), attempt(60)]).execute();

    expect(await deleteWebhookHistoryBefore(db, 2 * DAY)).toBe(2);
    const left = await db.selectFrom('webhook_events').select('id').orderBy('id').execute();
    expect(left.map((e) => e.id)).toEqual(events.slice(1).map((e) => e.id));
    expect(await db.selectFrom('webhook_attempts').select('at').execute()).toHaveLength(1);
  });

  it('reads each delete through an index', async () => {
    // Test tables are tiny, so the planner would scan them whatever the indexes: forbid that.
    await sql`SET enable_seqscan = off`.execute(db);
    const plans: string[] = [];
    for (const query of webhookHistoryDeletes(db, 2 * DAY)) {
      const compiled = query.compile();
      const plan = await db.executeQuery<{ 'QUERY PLAN': string }>(CompiledQuery.raw(`EXPLAIN ${compiled.sql}`, [...compiled.parameters]));
      plans.push(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    await sql`RESET enable_seqscan`.execute(db);
    expect(plans[0]).toMatch(/Index Scan (using|on) webhook_events_created_idx/);
    expect(plans[1]).toMatch(/Index Scan (using|on) webhook_attempts_at_idx/);
  });
});
