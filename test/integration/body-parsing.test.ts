import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../helpers/fixtures.js';
import { request, type JsonResponse } from '../helpers/http.js';
import { checkResponse } from '../helpers/contract.js';
import { adminAuth } from '../helpers/services.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

// Bodies are parsed only by routes that take one, after authentication. A body that cannot be
// inflated makes the parser answer 400, so a 401, 403 or 404 for it shows the parser never ran.

let testEnv: TestEnv;
let app: RunningApp;
let readKey: string;

beforeAll(async () => {
  testEnv = await createTestEnv();
  app = await startTestApp(testEnv, { roles: { web: true, worker: false } });
  const created = await request(app.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['read'] });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  readKey = created.body.key;
});

afterAll(async () => {
  await app?.stop();
  await testEnv?.dispose();
});

/** Not gzip at all, though it says so: inflating it fails at once. */
const NOT_GZIP = Buffer.from('{"external_id":"this is not gzip"}');
/** 64 MiB of spaces (valid JSON whitespace) in 64 KiB of gzip: inflating it costs what parsing a huge body costs. */
const BOMB = gzipSync(Buffer.alloc(64 * 1024 * 1024, ' '), { level: 9 });

type Caller = 'anonymous' | 'operator' | 'invalid key' | 'read key';
const credentials = (who: Caller): Record<string, string> =>
  who === 'anonymous' ? {} : who === 'operator' ? adminAuth : { authorization: `Bearer ${who === 'read key' ? readKey : 'nct_not-a-key'}` };

async function send(path: string, body: Buffer, who: Caller): Promise<JsonResponse & { ms: number }> {
  const started = performance.now();
  const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip', ...credentials(who) };
  const res = await fetch(`${app.baseUrl}${path}`, { method: 'POST', headers, body: new Uint8Array(body) });
  const text = await res.text();
  const parsed = JSON.parse(text);
  checkResponse('POST', path, res.status, res.headers.get('content-type'), parsed);
  return { status: res.status, headers: res.headers, body: parsed, ms: performance.now() - started };
}

describe('request bodies are parsed only on routes that take one, after authentication', () => {
  it.each<[string, Caller, number, string]>([
    ['/nope', 'anonymous', 404, 'not_found'],
    ['/v1/nope', 'operator', 404, 'not_found'],
    ['/v1/jobs/00000000-0000-0000-0000-000000000000', 'operator', 404, 'not_found'],
    ['/v1/epochs:ingest', 'anonymous', 401, 'unauthorized'],
    ['/v1/devices', 'invalid key', 401, 'unauthorized'],
    ['/v1/devices', 'read key', 403, 'forbidden'],
  ])('a body that is not gzip, sent to %s by %s, answers %i (never 400 from the parser)', async (path, who, status, code) => {
    expectError(await send(path, NOT_GZIP, who), status, code);
  });

  it('never inflates a gzip bomb sent to an unknown path or without a key', async () => {
    expect(BOMB.length).toBeLessThan(128 * 1024);
    for (const [path, who, status] of [
      ['/nope', 'anonymous', 404],
      ['/v1/nope', 'operator', 404],
      ['/v1/epochs:ingest', 'anonymous', 401],
    ] as const) {
      const res = await send(path, BOMB, who);
      // Inflating would end in 413 payload_too_large past MAX_BODY_BYTES (16 MiB), not in these.
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(res.ms).toBeLessThan(2000);
    }
  });

  it('still parses (and inflates) bodies on the routes that take one', async () => {
    expectError(await send('/v1/devices', NOT_GZIP, 'operator'), 400, 'bad_request');
    expectError(await send('/v1/devices', BOMB, 'operator'), 413, 'payload_too_large');
    const created = await send('/v1/devices', gzipSync(Buffer.from(JSON.stringify({ external_id: 'gzip-device' }))), 'operator');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.external_id).toBe('gzip-device');
  });
});
