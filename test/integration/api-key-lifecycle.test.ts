import { sql, type Kysely } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findActiveKey } from '../../src/auth/api-keys.repository.js';
import { KeyUsage } from '../../src/auth/key-usage.js';
import type { Database } from '../../src/db/database.js';
import { expectError, openDb } from '../helpers/fixtures.js';
import { request } from '../helpers/http.js';
import { spawnEntry, waitUntil } from '../helpers/processes.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** The row version: it changes with every UPDATE that matches the row, and only then. */
async function rowVersion(db: Kysely<Database>, id: string): Promise<{ xmin: string; last_used_at: Date | null }> {
  const { rows } = await sql<{ xmin: string; last_used_at: Date | null }>`SELECT xmin::text AS xmin, last_used_at FROM api_keys WHERE id = ${id}`.execute(db);
  return rows[0]!;
}

describe('API key expiry and last use', () => {
  let env: TestEnv;
  let api: RunningApp;
  let db: Kysely<Database>;

  beforeAll(async () => {
    env = await createTestEnv();
    api = await startTestApp(env, { roles: { web: true, worker: false } });
    db = openDb(env);
  });
  afterAll(async () => {
    await db.destroy();
    await api.stop();
    await env.dispose();
  });

  it('answers 401 once a key has expired', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'], expires_at: expiresAt });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.expires_at).toBe(expiresAt);
    expect((await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(created.body.key))).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(expiresAt) - Date.now() + 200));
    expectError(await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(created.body.key)), 401, 'unauthorized');
    const listed = await request(api.baseUrl, 'GET', '/v1/api-keys?tenant=acme');
    expect(listed.body.items.find((k: any) => k.id === created.body.id)).toMatchObject({ expires_at: expiresAt, revoked_at: null });
  });

  it('refuses an expiry that is not a future ISO time', async () => {
    expectError(await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'], expires_at: new Date(Date.now() - 1000).toISOString() }), 422, 'validation_failed');
    expectError(await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'], expires_at: 'tomorrow' }), 422, 'validation_failed');
  });

  it('creates expiring keys from the CLI', async () => {
    const expiresAt = '2099-01-01T00:00:00.000Z';
    const run = spawnEntry('src/entry/cli.ts', env.env(), ['keys', 'create', '--tenant', 'cli-exp', '--scopes', 'read', '--expires-at', expiresAt]);
    expect(await run.exited, run.output()).toBe(0);
    const key = run.output().trim().split('\n')[0]!;
    expect((await findActiveKey(db, key))?.expires_at?.toISOString()).toBe(expiresAt);
    expect((await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(key))).status).toBe(200);
    const past = spawnEntry('src/entry/cli.ts', env.env(), ['keys', 'create', '--tenant', 'cli-exp', '--scopes', 'read', '--expires-at', '2001-01-01T00:00:00Z']);
    expect(await past.exited).toBe(2);
    expect(past.output()).toContain('--expires-at');
  });

  it('records the last use of a key with one write per minute, not one per request', async () => {
    const created = await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'] });
    expect(created.body.last_used_at).toBeNull();
    expect((await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(created.body.key))).status).toBe(200);
    await waitUntil('last_used_at to be written', async () => (await rowVersion(db, created.body.id)).last_used_at !== null, 5000, 50);
    const first = await rowVersion(db, created.body.id);
    expect(Math.abs(first.last_used_at!.getTime() - Date.now())).toBeLessThan(10_000);
    for (let i = 0; i < 20; i++) expect((await request(api.baseUrl, 'GET', '/v1/models', undefined, bearer(created.body.key))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await rowVersion(db, created.body.id)).toEqual(first);
  });

  it('writes again once the stored use is more than a minute old', async () => {
    const created = await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'] });
    await sql`UPDATE api_keys SET last_used_at = now() - interval '5 minutes' WHERE id = ${created.body.id}`.execute(db);
    const usage = new KeyUsage(db, pino({ level: 'silent' }));
    const record = (await findActiveKey(db, created.body.key))!;
    usage.seen(record);
    await waitUntil('last_used_at to move', async () => Date.now() - (await rowVersion(db, created.body.id)).last_used_at!.getTime() < 10_000, 5000, 50);
  });
});
