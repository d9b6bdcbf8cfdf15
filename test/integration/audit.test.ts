import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashKey } from '../../src/auth/api-keys.repository.js';
import type { Database } from '../../src/db/database.js';
import { Sweeper } from '../../src/jobs/sweeper.js';
import { expectError, openDb } from '../helpers/fixtures.js';
import { request, type JsonResponse } from '../helpers/http.js';
import { spawnEntry } from '../helpers/processes.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('the audit log', () => {
  let env: TestEnv;
  let api: RunningApp;
  let db: Kysely<Database>;
  let operator: { id: string; key: string };
  const secrets: string[] = [];

  async function allRecords(as: Record<string, string>, query = ''): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const res: JsonResponse = await request(api.baseUrl, 'GET', `/v1/audit?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`, undefined, as);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.next_cursor;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    env = await createTestEnv();
    // No worker: the re-score stays queued so it can be cancelled.
    api = await startTestApp(env, { roles: { web: true, worker: false } });
    db = openDb(env);
    // The operator token creates an operator key; that key does the rest.
    operator = (await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'ops', scopes: ['read', 'admin', 'operator'] })).body;
    secrets.push(operator.key);
    const as = bearer(operator.key);
    const acme = await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'], name: 'acme reader' }, as);
    secrets.push(acme.body.key);
    expect((await request(api.baseUrl, 'DELETE', `/v1/api-keys/${acme.body.id}`, undefined, as)).status).toBe(204);
    expect((await request(api.baseUrl, 'POST', '/v1/models/reload', { version: 'wnr-v2' }, as)).status).toBe(200);
    expect((await request(api.baseUrl, 'POST', '/v1/models/reload', {}, as)).status).toBe(200);
    const rescore = await request(api.baseUrl, 'POST', '/v1/rescore', { only_missing: true }, as);
    expect(rescore.status, JSON.stringify(rescore.body)).toBe(202);
    expect((await request(api.baseUrl, 'DELETE', `/v1/jobs/${rescore.body.job_id}`, undefined, as)).status).toBe(200);
    const cli = spawnEntry('src/entry/cli.ts', env.env(), ['keys', 'create', '--tenant', 'cli-made', '--scopes', 'ingest']);
    expect(await cli.exited, cli.output()).toBe(0);
    secrets.push(cli.output().trim().split('\n')[0]!);
  });
  afterAll(async () => {
    await db.destroy();
    await api.stop();
    await env.dispose();
  });

  it('lists who created or revoked keys, reloaded models, started or cancelled re-scores, oldest first, paged', async () => {
    const items = await allRecords(bearer(operator.key));
    expect(items.map((e) => e.action)).toEqual([
      'api_key.created', // the operator key, by the admin token
      'api_key.created',
      'api_key.revoked',
      'model.reloaded',
      'model.reloaded',
      'rescore.started',
      'rescore.cancelled',
      'api_key.created', // from the CLI
    ]);
    expect(items[0]).toMatchObject({ actor: { kind: 'admin_token', tenant: 'default', key_id: null }, target: { tenant: 'ops', id: operator.id } });
    const byOperator = { kind: 'api_key', tenant: 'ops', key_id: operator.id };
    for (const item of items.slice(1, 7)) expect(item.actor).toEqual(byOperator);
    expect(items[1]).toMatchObject({ target: { tenant: 'acme' }, details: { scopes: ['read'], name: 'acme reader', expires_at: null } });
    expect(items[3].details).toMatchObject({ requested_version: 'wnr-v2', active_version: 'wnr-v2', previous_version: 'wnr-v3' });
    expect(items[5]).toMatchObject({ target: { tenant: 'ops' }, details: { only_missing: true, tenant: null, trigger: 'api' } });
    expect(items[6].target.id).toBe(items[5].target.id);
    expect(items[7].actor).toEqual({ kind: 'cli', tenant: null, key_id: null });
    expect(items[1].details.request_id).toMatch(/./);
    expect(new Set(items.map((e) => e.id)).size).toBe(items.length);
  });

  it('never holds a key or its hash', async () => {
    const text = JSON.stringify(await allRecords(bearer(operator.key)));
    const stored = JSON.stringify((await db.selectFrom('audit_events').selectAll().execute()));
    for (const secret of secrets) {
      for (const form of [secret, hashKey(secret)]) {
        expect(text).not.toContain(form);
        expect(stored).not.toContain(form);
      }
    }
  });

  it('filters by time and rejects a bad cursor or range', async () => {
    const all = await allRecords(bearer(operator.key));
    const cut = all[3].at;
    const later = await allRecords(bearer(operator.key), `&from=${encodeURIComponent(cut)}`);
    expect(later.every((e) => e.at >= cut)).toBe(true);
    expect(later.length).toBeLessThan(all.length);
    expect(await allRecords(bearer(operator.key), `&to=${encodeURIComponent('2001-01-01T00:00:00Z')}`)).toEqual([]);
    expectError(await request(api.baseUrl, 'GET', '/v1/audit?cursor=nope', undefined, bearer(operator.key)), 400, 'invalid_cursor');
    expectError(await request(api.baseUrl, 'GET', `/v1/audit?from=${cut}&to=${cut}`, undefined, bearer(operator.key)), 400, 'invalid_range');
  });

  it('is for operators only', async () => {
    const tenantAdmin = (await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read', 'admin'] })).body.key;
    const defaultAdmin = (await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'default', scopes: ['read', 'admin'] })).body.key;
    for (const key of [tenantAdmin, defaultAdmin]) {
      expect(expectError(await request(api.baseUrl, 'GET', '/v1/audit', undefined, bearer(key)), 403, 'forbidden')['required_scope']).toBe('operator');
    }
  });

  it('is kept for AUDIT_RETENTION_DAYS: the sweeper deletes older records', async () => {
    await sql`INSERT INTO audit_events (at, action, actor_kind) VALUES (now() - interval '366 days', 'model.reloaded', 'cli'), (now() - interval '364 days', 'model.reloaded', 'cli')`.execute(db);
    await new Sweeper(api.app.ctx).sweepOnce();
    const { rows } = await sql<{ days: number }>`SELECT round(extract(epoch FROM now() - at) / 86400)::int AS days FROM audit_events WHERE at < now() - interval '300 days'`.execute(db);
    expect(rows).toEqual([{ days: 364 }]);
  });
});
