import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { request, waitForJob } from '../helpers/http.js';
import { checkResponse } from '../helpers/contract.js';
import { FEATURE_SCHEMA_VERSION, packRows } from '../helpers/sleep-data.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';
import { spawnReady, type Spawned } from './support.js';

// A malformed and hostile request corpus through real HTTP: every answer must be a 4xx with the
// JSON error shape, never a 5xx, and the API process must stay healthy.

const TOKEN = 'fault-suite-admin-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const ROW = [38.6, 0.52, -0.26, 0, 0];
const INGEST = '/v1/epochs:ingest';

interface Case {
  readonly name: string;
  readonly method?: string;
  readonly path: string;
  /** Raw text/bytes sent as is, or a value sent as JSON. */
  readonly raw?: string | Buffer;
  readonly json?: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** A specific 4xx when the answer is well defined. */
  readonly status?: number;
  /** Sent without the operator token. */
  readonly anonymous?: boolean;
}

/** 64 MiB of JSON whitespace in about 64 KiB of gzip. */
const GZIP_BOMB = gzipSync(Buffer.alloc(64 * 1024 * 1024, ' '), { level: 9 });
const GZIP = { 'content-encoding': 'gzip' };

const HOSTILE_STRINGS = [
  "'; DROP TABLE epochs; --",
  "1' OR '1'='1",
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '💤🛌\u202e\u200bé',
  '\u0000',
  '\ud800',
  '../../../../etc/passwd',
  '%00%27',
  '${jndi:ldap://127.0.0.1/a}',
  'x'.repeat(100_000),
];

function corpus(recording: string): Case[] {
  const ingest = (fields: Record<string, unknown>) => ({ recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, ...fields });
  const list = (epochs: unknown) => ingest({ epochs });
  const packed = (value: unknown, start: unknown = 0) => ingest({ start_index: start, packed: value });
  const cases: Case[] = [
    // Not JSON, or JSON of the wrong shape.
    { name: 'body not JSON', path: INGEST, raw: '{"recording_id": ', status: 400 },
    { name: 'empty body', path: INGEST, raw: '' },
    { name: 'JSON null', path: INGEST, raw: 'null', status: 400 },
    { name: 'JSON number', path: INGEST, raw: '42', status: 400 },
    { name: 'JSON string', path: INGEST, raw: '"epochs"', status: 400 },
    { name: 'JSON array', path: INGEST, raw: '[]', status: 400 },
    { name: 'NaN literal', path: INGEST, raw: `{"recording_id":"${recording}","feature_schema_version":"${FEATURE_SCHEMA_VERSION}","epochs":[{"epoch_index":0,"features":[NaN,0,0,0,0]}]}`, status: 400 },
    { name: 'duplicate keys', path: INGEST, raw: `{"recording_id":"${recording}","recording_id":1,"feature_schema_version":"${FEATURE_SCHEMA_VERSION}","epochs":[]}` },
    { name: '__proto__ key', path: INGEST, raw: `{"__proto__":{"polluted":true},"recording_id":"${recording}","feature_schema_version":"${FEATURE_SCHEMA_VERSION}","start_index":0,"packed":"${packRows([ROW])}"}` },
    { name: 'constructor key', path: INGEST, json: { ...packed(packRows([ROW])), constructor: { prototype: { x: 1 } } } },
    // Deep nesting.
    { name: '100k levels of [', path: INGEST, raw: '['.repeat(100_000) + ']'.repeat(100_000) },
    { name: '100k unclosed [', path: INGEST, raw: '['.repeat(100_000), status: 400 },
    { name: '100k levels of {"a":', path: INGEST, raw: '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000) },
    { name: 'nested arrays as epochs', path: INGEST, raw: `{"recording_id":"${recording}","feature_schema_version":"${FEATURE_SCHEMA_VERSION}","epochs":${'['.repeat(50_000)}${']'.repeat(50_000)}}` },
    { name: 'nested arrays as features', path: INGEST, json: list([{ epoch_index: 0, features: [[[[[1]]]], 0, 0, 0, 0] }]) },
    // Wrong types.
    { name: 'recording_id a number', path: INGEST, json: { ...list([{ epoch_index: 0, features: ROW }]), recording_id: 12 } },
    { name: 'recording_id an object', path: INGEST, json: { ...list([{ epoch_index: 0, features: ROW }]), recording_id: { $ne: null } } },
    { name: 'feature_schema_version an array', path: INGEST, json: { ...list([{ epoch_index: 0, features: ROW }]), feature_schema_version: [] } },
    { name: 'epochs a string', path: INGEST, json: list('x') },
    { name: 'epochs an object', path: INGEST, json: list({ 0: { epoch_index: 0, features: ROW } }) },
    { name: 'epochs of numbers', path: INGEST, json: list([1, 2]) },
    { name: 'epochs empty', path: INGEST, json: list([]) },
    { name: 'features null', path: INGEST, json: list([{ epoch_index: 0, features: null }]) },
    { name: 'features booleans', path: INGEST, json: list([{ epoch_index: 0, features: [true, false, true, false, true] }]) },
    { name: 'features strings', path: INGEST, json: list([{ epoch_index: 0, features: ['1', '2', '3', '4', '5'] }]) },
    { name: 'features object with strings', path: INGEST, json: list([{ epoch_index: 0, features: { activity_count: '1', hr_variability: 0, circadian_cosine: 0, hours_since_start: 0, clock_proxy: 0 } }]) },
    { name: 'features object with __proto__', path: INGEST, raw: JSON.stringify(list([{ epoch_index: 0, features: {} }])).replace('"features":{}', '"features":{"__proto__":1,"activity_count":1}') },
    { name: 'features too few', path: INGEST, json: list([{ epoch_index: 0, features: [1, 2] }]) },
    { name: 'features too many', path: INGEST, json: list([{ epoch_index: 0, features: new Array(10_000).fill(1) }]) },
    { name: 'epoch_index a string', path: INGEST, json: list([{ epoch_index: '0', features: ROW }]) },
    { name: 'epoch_index repeated', path: INGEST, json: list([{ epoch_index: 3, features: ROW }, { epoch_index: 3, features: ROW }]) },
    { name: 'start_index a string', path: INGEST, json: packed(packRows([ROW]), '0') },
    { name: 'start_index fractional', path: INGEST, json: packed(packRows([ROW]), 1.5) },
    { name: 'start_index negative', path: INGEST, json: packed(packRows([ROW]), -1) },
    { name: 'both packed and epochs', path: INGEST, json: { ...packed(packRows([ROW])), epochs: [{ epoch_index: 0, features: ROW }] } },
    // Numbers at the edges.
    { name: 'epoch_index 1e309', path: INGEST, raw: JSON.stringify(list([{ epoch_index: 0, features: ROW }])).replace('"epoch_index":0', '"epoch_index":1e309') },
    { name: 'epoch_index -1e309', path: INGEST, raw: JSON.stringify(list([{ epoch_index: 0, features: ROW }])).replace('"epoch_index":0', '"epoch_index":-1e309') },
    { name: 'epoch_index 2^31', path: INGEST, json: list([{ epoch_index: 2 ** 31, features: ROW }]) },
    { name: 'epoch_index 2^53 + 1', path: INGEST, raw: JSON.stringify(list([{ epoch_index: 0, features: ROW }])).replace('"epoch_index":0', '"epoch_index":9007199254740993') },
    { name: 'epoch_index 1e400 digits', path: INGEST, raw: JSON.stringify(list([{ epoch_index: 0, features: ROW }])).replace('"epoch_index":0', `"epoch_index":1${'0'.repeat(400)}`) },
    { name: 'start_index 1e309', path: INGEST, raw: JSON.stringify(packed(packRows([ROW]))).replace('"start_index":0', '"start_index":1e309') },
    { name: 'start_index at the int4 limit', path: INGEST, json: packed(packRows([ROW, ROW]), 2 ** 31 - 1) },
    { name: '-0 start_index on an unknown recording', path: INGEST, raw: JSON.stringify({ ...packed(packRows([ROW])), recording_id: '00000000-0000-0000-0000-000000000000' }).replace('"start_index":0', '"start_index":-0'), status: 404 },
    { name: 'feature 1e309', path: INGEST, raw: JSON.stringify(list([{ epoch_index: 0, features: [7, 0, 0, 0, 0] }])).replace('[7,', '[1e309,') },
    { name: 'feature beyond float32', path: INGEST, json: list([{ epoch_index: 0, features: [1e39, 0, 0, 0, 0] }]) },
    { name: 'feature -1e308', path: INGEST, json: list([{ epoch_index: 0, features: [-1e308, 0, 0, 0, 0] }]) },
    { name: 'packed NaN and Infinity', path: INGEST, json: packed(packRows([[NaN, Infinity, -Infinity, 0, 0]])) },
    // Base64.
    { name: 'packed truncated (one row short of bytes)', path: INGEST, json: packed(packRows([ROW, ROW]).slice(0, -8)) },
    { name: 'packed not a multiple of 4', path: INGEST, json: packed('AAA') },
    { name: 'packed 3 bytes', path: INGEST, json: packed('AAAA') },
    { name: 'packed empty', path: INGEST, json: packed('') },
    { name: 'packed base64url alphabet', path: INGEST, json: packed(packRows([ROW]).replace(/\+/g, '-').replace(/\//g, '_') + '-_-_') },
    { name: 'packed with whitespace', path: INGEST, json: packed(`${packRows([ROW]).slice(0, 8)}\n${packRows([ROW]).slice(8)}`) },
    { name: 'packed with a script', path: INGEST, json: packed('<script>alert(1)</script>') },
    { name: 'packed a number', path: INGEST, json: packed(12345) },
    { name: 'base64 features truncated', path: INGEST, json: list([{ epoch_index: 0, features: 'AAAAAAAAAAAA' }]) },
    { name: 'base64 features garbage', path: INGEST, json: list([{ epoch_index: 0, features: '!!!!' }]) },
    // Content types and encodings.
    { name: 'text/plain', path: INGEST, raw: JSON.stringify(packed(packRows([ROW]))), contentType: 'text/plain' },
    { name: 'form-urlencoded', path: INGEST, raw: 'recording_id=1&packed=AAAA', contentType: 'application/x-www-form-urlencoded' },
    { name: 'multipart', path: INGEST, raw: '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n', contentType: 'multipart/form-data; boundary=b' },
    { name: 'no content type', path: INGEST, raw: JSON.stringify(packed(packRows([ROW]))), contentType: '' },
    { name: 'json in utf-16 charset', path: INGEST, raw: JSON.stringify(packed(packRows([ROW]))), contentType: 'application/json; charset=utf-16' },
    { name: 'json in latin1 charset', path: INGEST, raw: JSON.stringify(packed(packRows([ROW]))), contentType: 'application/json; charset=iso-8859-1', status: 415 },
    { name: 'gzip that is not gzip', path: INGEST, raw: JSON.stringify(packed(packRows([ROW]))), headers: { 'content-encoding': 'gzip' } },
    { name: 'unknown content-encoding', path: INGEST, raw: JSON.stringify(packed(packRows([ROW]))), headers: { 'content-encoding': 'compress' }, status: 415 },
    { name: 'invalid UTF-8 bytes', path: INGEST, raw: Buffer.concat([Buffer.from('{"recording_id":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from(`","feature_schema_version":"${FEATURE_SCHEMA_VERSION}","start_index":0,"packed":"${packRows([ROW])}"}`)]) },
    // Big bodies (the limit is MAX_BODY_BYTES = 16 MiB).
    { name: '10 MB packed night', path: INGEST, json: packed(Buffer.alloc(7_500_000).toString('base64')), status: 413 },
    { name: '10 MB epoch list', path: INGEST, raw: JSON.stringify(list([])).replace('"epochs":[]', `"epochs":[${new Array(220_000).fill('{"epoch_index":1,"features":[1,2,3,4,5]}').join(',')}]`), status: 413 },
    { name: '10 MB of garbage', path: INGEST, raw: Buffer.alloc(10 * 1024 * 1024, 'x'), status: 400 },
    { name: '10 MB recording_id', path: INGEST, json: { ...packed(packRows([ROW])), recording_id: 'r'.repeat(10 * 1024 * 1024) } },
    { name: '20 MB body over the limit', path: INGEST, raw: Buffer.alloc(20 * 1024 * 1024, ' '), status: 413 },
    { name: '10 MB inline predict', path: '/v1/predict', raw: `{"feature_schema_version":"${FEATURE_SCHEMA_VERSION}","epochs":[${new Array(250_000).fill('{"features":[1,2,3,4,5]}').join(',')}]}`, status: 413 },
    // Other endpoints.
    { name: 'device external_id a number', path: '/v1/devices', json: { external_id: 12 } },
    { name: 'device external_id empty', path: '/v1/devices', json: { external_id: '' } },
    { name: 'device external_id NUL', path: '/v1/devices', json: { external_id: 'a\u0000b' } },
    { name: 'device name an operator object', path: '/v1/devices', json: { external_id: 'ok-device', name: { $gt: '' } } },
    { name: 'recording on an unknown device', path: '/v1/recordings', json: { device_id: '00000000-0000-0000-0000-000000000000', started_at: '2026-11-25T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION } },
    { name: 'recording started_at invalid', path: '/v1/recordings', json: { device_id: "' OR 1=1 --", started_at: '2026-13-45T99:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION } },
    { name: 'recording epoch_seconds 1e309', path: '/v1/recordings', raw: `{"device_id":"00000000-0000-0000-0000-000000000000","started_at":"2026-11-25T22:00:00Z","feature_schema_version":"${FEATURE_SCHEMA_VERSION}","epoch_seconds":1e309}` },
    { name: 'predict unknown model (path traversal)', path: '/v1/predict', json: { feature_schema_version: FEATURE_SCHEMA_VERSION, model_version: '../../../etc/passwd', epochs: [{ features: ROW }] } },
    { name: 'predict model_version SQL', path: '/v1/predict', json: { feature_schema_version: FEATURE_SCHEMA_VERSION, model_version: "wnr-v2'; --", epochs: [{ features: ROW }] } },
    { name: 'predict too many epochs', path: '/v1/predict', json: { feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: new Array(10_001).fill({ features: ROW }) }, status: 413 },
    { name: 'predict schema <script>', path: '/v1/predict', json: { feature_schema_version: '<script>alert(1)</script>', epochs: [{ features: ROW }] } },
    { name: 'predict recording_id SQL', path: '/v1/predict', json: { recording_id: "'; DROP TABLE predictions; --" } },
    { name: 'models reload to a traversal', path: '/v1/models/reload', json: { version: '../../etc' } },
    // Paths and queries.
    { name: 'GET recording with a malformed escape', method: 'GET', path: '/v1/recordings/%ZZ' },
    { name: 'GET recording %00', method: 'GET', path: '/v1/recordings/%00' },
    { name: 'GET recording emoji', method: 'GET', path: '/v1/recordings/%F0%9F%92%A4' },
    { name: 'GET job SQL', method: 'GET', path: `/v1/jobs/${encodeURIComponent("' OR '1'='1")}` },
    { name: 'GET job script', method: 'GET', path: `/v1/jobs/${encodeURIComponent('<script>alert(1)</script>')}` },
    { name: 'GET epochs limit 1e309', method: 'GET', path: `/v1/recordings/${recording}/epochs?limit=1e309` },
    { name: 'GET epochs limit -1', method: 'GET', path: `/v1/recordings/${recording}/epochs?limit=-1` },
    { name: 'GET epochs from a script', method: 'GET', path: `/v1/recordings/${recording}/epochs?from=${encodeURIComponent('<script>')}` },
    { name: 'GET epochs cursor garbage', method: 'GET', path: `/v1/recordings/${recording}/epochs?cursor=${encodeURIComponent("'; DROP TABLE epochs; --")}` },
    { name: 'GET epochs cursor NUL', method: 'GET', path: `/v1/recordings/${recording}/epochs?cursor=%00` },
    { name: 'GET epochs repeated query keys', method: 'GET', path: `/v1/recordings/${recording}/epochs?limit=1&limit=2` },
    { name: 'GET predictions unknown model', method: 'GET', path: `/v1/recordings/${recording}/predictions?model_version=${encodeURIComponent('💤')}` },
    { name: 'DELETE ingest', method: 'DELETE', path: INGEST, status: 404 },
    // Huge index spans: a recording holds epochs 0 .. MAX_RECORDING_EPOCHS − 1 (5760).
    { name: 'epochs 0 and 150,000,000', path: INGEST, json: list([{ epoch_index: 0, features: ROW }, { epoch_index: 150_000_000, features: ROW }]), status: 422 },
    { name: 'epoch_index at the recording limit', path: INGEST, json: list([{ epoch_index: 5760, features: ROW }]), status: 422 },
    { name: 'packed at start_index 150,000,000', path: INGEST, json: packed(packRows([ROW, ROW]), 150_000_000), status: 422 },
    { name: 'packed running past the recording limit', path: INGEST, json: packed(packRows([ROW, ROW]), 5759), status: 422 },
    { name: 'labels at 0 and 150,000,000', method: 'PUT', path: `/v1/recordings/${recording}/labels`, json: { labels: [{ epoch_index: 0, stage: 'W' }, { epoch_index: 150_000_000, stage: 'W' }] }, status: 422 },
    { name: 'inline predict at 150,000,000', path: '/v1/predict', json: { feature_schema_version: FEATURE_SCHEMA_VERSION, epochs: [{ epoch_index: 0, features: ROW }, { epoch_index: 150_000_000, features: ROW }] }, status: 422 },
    { name: 'GET predictions limit past the recording limit', method: 'GET', path: `/v1/recordings/${recording}/predictions?limit=100000`, status: 400 },
    // Far started_at values: rows are partitioned by time, so they would scatter over far chunks.
    ...['0001-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1999-12-31T23:59:59Z', new Date(Date.now() + 2 * 86_400_000).toISOString(), '9999-12-31T23:59:59Z'].map(
      (startedAt): Case => ({ name: `recording started_at ${startedAt}`, path: '/v1/recordings', json: { device_id: '00000000-0000-0000-0000-000000000000', started_at: startedAt, feature_schema_version: FEATURE_SCHEMA_VERSION }, status: 422 }),
    ),
    // Gzip bodies where nothing takes a body, or without a key: never inflated.
    { name: 'gzip bomb to an unknown path, anonymous', path: '/nope', raw: GZIP_BOMB, headers: GZIP, anonymous: true, status: 404 },
    { name: 'gzip bomb to an unknown /v1 path', path: '/v1/nope', raw: GZIP_BOMB, headers: GZIP, status: 404 },
    { name: 'gzip bomb to ingest, anonymous', path: INGEST, raw: GZIP_BOMB, headers: GZIP, anonymous: true, status: 401 },
    { name: 'gzip bomb to ingest with a wrong key', path: INGEST, raw: GZIP_BOMB, headers: { ...GZIP, authorization: 'Bearer nct_wrong' }, status: 401 },
    { name: 'broken gzip to an unknown path, anonymous', path: '/nope', raw: 'not gzip at all', headers: GZIP, anonymous: true, status: 404 },
    { name: 'broken gzip to the report page, anonymous', path: `/recordings/${recording}`, raw: 'not gzip at all', headers: GZIP, anonymous: true, status: 401 },
    { name: 'PUT device', method: 'PUT', path: '/v1/devices', json: {}, status: 404 },
  ];
  for (const [i, text] of HOSTILE_STRINGS.entries()) {
    cases.push({ name: `recording_id hostile string #${i}`, path: INGEST, json: { ...packed(packRows([ROW])), recording_id: text } });
    cases.push({ name: `feature_schema_version hostile string #${i}`, path: INGEST, json: { ...packed(packRows([ROW])), feature_schema_version: text } });
    cases.push({ name: `features key hostile string #${i}`, path: INGEST, json: list([{ epoch_index: 0, features: { [text]: 1 } }]) });
    cases.push({ name: `GET recording hostile string #${i}`, method: 'GET', path: `/v1/recordings/${percentEncode(text)}` });
  }
  return cases;
}

describe('a malformed and hostile request corpus over HTTP', () => {
  let env: TestEnv;
  let api: Spawned;

  beforeAll(async () => {
    env = await createTestEnv();
    api = await spawnReady('src/entry/web.ts', env.env({ LOG_LEVEL: 'warn', NOCTIS_ADMIN_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '0' }));
  });
  afterAll(async () => {
    await api.handle.kill();
    await env.dispose();
  });

  it('answers every request with a 4xx JSON error, never a 5xx, and stays healthy', async () => {
    onTestFailed(() => console.error(api.handle.output()));
    const recording = await newRecordingWithAuth(api.baseUrl);
    const failures: string[] = [];
    for (const c of corpus(recording)) {
      const headers: Record<string, string> = { ...(c.anonymous ? {} : AUTH), ...c.headers };
      if (c.contentType !== '') headers['content-type'] = c.contentType ?? 'application/json';
      const body = typeof c.raw === 'object' ? new Uint8Array(c.raw) : (c.raw ?? (c.json === undefined ? undefined : JSON.stringify(c.json)));
      let status: number;
      let text: string;
      let type: string;
      try {
        const res = await fetch(`${api.baseUrl}${c.path}`, { method: c.method ?? 'POST', headers, body: c.method === 'GET' ? undefined : body, signal: AbortSignal.timeout(30_000) });
        status = res.status;
        type = res.headers.get('content-type') ?? '';
        text = await res.text();
      } catch (err) {
        failures.push(`${c.name}: no answer (${String((err as Error).cause ?? err)})`);
        continue;
      }
      let parsed: any = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        // checked below
      }
      const shapeOk =
        type.includes('application/json') && parsed !== null && typeof parsed.error?.code === 'string' && typeof parsed.error.message === 'string' && typeof parsed.error.details === 'object' && parsed.error.details !== null;
      const statusOk = c.status === undefined ? status >= 400 && status < 500 : status === c.status;
      if (!statusOk || !shapeOk) failures.push(`${c.name}: ${status} ${type} ${text.slice(0, 200)}`);
      // And the status and body are ones the OpenAPI document declares for the route.
      try {
        checkResponse(c.method ?? 'POST', c.path, status, type, parsed ?? text);
      } catch (err) {
        failures.push(`${c.name}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);

    // Still alive and ready, and nothing reached the generic 500 path.
    expect((await request(api.baseUrl, 'GET', '/healthz')).status).toBe(200);
    expect((await request(api.baseUrl, 'GET', '/readyz')).status).toBe(200);
    expect(api.handle.child.exitCode).toBeNull();
    expect(api.handle.output()).not.toContain('unhandled error');
    // And it still does its job.
    const ok = await request(api.baseUrl, 'POST', INGEST, { recording_id: recording, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows([ROW]) }, AUTH);
    expect(ok.status).toBe(202);
  }, 150_000);

  it('stores SQL, script and unicode text in valid fields verbatim', async () => {
    for (const text of HOSTILE_STRINGS.filter((t) => !t.includes('\u0000') && !t.includes('\ud800') && t.length <= 200)) {
      const first = await request(api.baseUrl, 'POST', '/v1/devices', { external_id: text, name: text }, AUTH);
      expect(first.status, JSON.stringify(first.body).slice(0, 200)).toBe(201);
      expect(first.body.external_id).toBe(text);
      // The same external_id finds the same device: the text round-trips exactly.
      const again = await request(api.baseUrl, 'POST', '/v1/devices', { external_id: text }, AUTH);
      expect(again.status).toBe(200);
      expect(again.body.id).toBe(first.body.id);
    }
  });
});

/** Every UTF-8 byte percent-encoded (encodeURIComponent throws on a lone surrogate). */
function percentEncode(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'), (b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

async function newRecordingWithAuth(baseUrl: string): Promise<string> {
  const device = await request(baseUrl, 'POST', '/v1/devices', { external_id: 'hostile-corpus' }, AUTH);
  const rec = await request(baseUrl, 'POST', '/v1/recordings', { device_id: device.body.id, started_at: '2026-11-25T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION }, AUTH);
  expect(rec.status, JSON.stringify(rec.body)).toBe(201);
  return rec.body.id;
}

/** A token of one of the shapes a hostile client might send instead of a key. */
function hostileToken(i: number): string {
  const shapes = [
    () => `nct_${randomBytes(32).toString('base64url')}`, // shaped like a key: looked up
    () => `nct_${randomBytes(6000).toString('base64url')}`, // 8 KB
    () => "nct_' OR '1'='1",
    () => randomBytes(24).toString('hex'),
    () => 'nct_\u00e9\u00ff\u0000'.replace('\u0000', '\u00a0'), // Latin-1 bytes (a header carries no other)
    () => `${TOKEN.slice(0, -1)}x`, // the admin token but the last character
  ];
  return shapes[i % shapes.length]!();
}

describe('hostile credentials', () => {
  let env: TestEnv;
  let api: Spawned;
  let worker: Spawned;
  const FAILURES = 20;

  beforeAll(async () => {
    env = await createTestEnv();
    // Behind a trusted proxy on loopback, so the flood and the honest clients have their own addresses.
    api = await spawnReady('src/entry/web.ts', env.env({ LOG_LEVEL: 'warn', NOCTIS_ADMIN_TOKEN: TOKEN, AUTH_FAILURES_PER_MINUTE: String(FAILURES), TRUST_PROXY: 'loopback', DB_POOL_SIZE: '2' }));
    worker = await spawnReady('workers/main.ts', env.env({ LOG_LEVEL: 'warn', NOCTIS_ADMIN_TOKEN: TOKEN }));
  });
  afterAll(async () => {
    await worker.handle.kill();
    await api.handle.kill();
    await env.dispose();
  });

  it('answers a flood of invalid tokens with 401 then 429, lets at most the limit reach the database, and keeps serving others', async () => {
    onTestFailed(() => console.error(api.handle.output()));
    const honest = (await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'honest', scopes: ['read'] }, AUTH)).body.key as string;
    const paths = ['/v1/models', '/v1/recordings/00000000-0000-0000-0000-000000000000', '/v1/audit', '/admin/queues', '/recordings/x'];
    const flood = Array.from({ length: 600 }, (_, i) => {
      const token = hostileToken(i);
      const authorization = i % 7 === 0 ? `Basic ${Buffer.from(`x:${token}`).toString('base64')}` : `Bearer ${token}`;
      return fetch(`${api.baseUrl}${paths[i % paths.length]}`, { headers: { authorization, 'x-forwarded-for': '203.0.113.66' }, signal: AbortSignal.timeout(30_000) }).then(async (res) => ({
        path: paths[i % paths.length]!,
        status: res.status,
        type: res.headers.get('content-type') ?? '',
        retryAfter: res.headers.get('retry-after'),
        body: (await res.json().catch(() => null)) as any,
      }));
    });
    // Honest clients at another address, during the flood: fewer at once than the per-address budget
    // (AUTH_FAILURES_PER_MINUTE, 30), since a valid key's check holds a slot until it is known good.
    const served = Array.from({ length: 20 }, () => request(api.baseUrl, 'GET', '/v1/models', undefined, { authorization: `Bearer ${honest}`, 'x-forwarded-for': '198.51.100.5' }));
    const answers = await Promise.all(flood);
    expect((await Promise.all(served)).map((r) => r.status)).toEqual(new Array(20).fill(200));
    const bad = answers.filter((a) => !(a.status === 401 || a.status === 429) || !a.type.includes('application/json') || typeof a.body?.error?.code !== 'string');
    expect(bad).toEqual([]);
    for (const a of answers) checkResponse('GET', a.path, a.status, a.type, a.body);
    // A header that holds no token at all (a space inside) is a plain 401 that costs no lookup.
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThan(400);
    expect(refused.every((a) => Number(a.retryAfter) >= 1 && a.body.error.code === 'rate_limited')).toBe(true);
    const metrics = (await request(api.baseUrl, 'GET', '/metrics', undefined, { authorization: '' })).body as string;
    const lookups = Number(/noctis_auth_key_checks_total\{outcome="invalid"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 'NaN');
    expect(lookups).toBeLessThanOrEqual(FAILURES);
    expect((await request(api.baseUrl, 'GET', '/readyz')).status).toBe(200);
    expect(api.handle.child.exitCode).toBeNull();
    expect(api.handle.output()).not.toContain('unhandled error');
  }, 120_000);

  it("gives a read key of the tenant named default nothing of other tenants' and no operator powers", async () => {
    const acme = bearer((await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'acme', scopes: ['ingest', 'read', 'admin'] }, AUTH)).body.key);
    const device = await request(api.baseUrl, 'POST', '/v1/devices', { external_id: 'acme-watch' }, acme);
    const rec = await request(api.baseUrl, 'POST', '/v1/recordings', { device_id: device.body.id, started_at: '2026-11-25T22:00:00Z', feature_schema_version: FEATURE_SCHEMA_VERSION }, acme);
    const job = await request(api.baseUrl, 'POST', '/v1/epochs:ingest', { recording_id: rec.body.id, feature_schema_version: FEATURE_SCHEMA_VERSION, start_index: 0, packed: packRows([ROW, ROW]) }, acme);
    expect(job.status).toBe(202);
    expect((await waitForJob(api.baseUrl, job.body.job_id, 60_000, acme)).state).toBe('completed');
    expect((await request(api.baseUrl, 'PUT', `/v1/recordings/${rec.body.id}/labels`, { labels: [{ epoch_index: 0, stage: 'W' }, { epoch_index: 1, stage: 'N2' }] }, acme)).status).toBe(200);

    const reader = bearer((await request(api.baseUrl, 'POST', '/v1/api-keys', { tenant: 'default', scopes: ['read'] }, AUTH)).body.key);
    // The operator token sees acme's labelled and scored night...
    const operatorView = await request(api.baseUrl, 'GET', '/v1/models/wnr-v3/evaluation', undefined, AUTH);
    expect(operatorView.status, JSON.stringify(operatorView.body)).toBe(200);
    expect(operatorView.body.per_recording.map((r: any) => r.recording_id)).toEqual([rec.body.id]);
    // ...the default tenant's read key does not.
    const cases: Array<[string, string, unknown, number]> = [
      ['GET', '/v1/models/wnr-v3/evaluation', undefined, 409],
      ['GET', `/v1/recordings/${rec.body.id}`, undefined, 404],
      ['GET', `/v1/recordings/${rec.body.id}/labels`, undefined, 404],
      ['GET', `/v1/jobs/${job.body.job_id}`, undefined, 404],
      ['GET', '/v1/api-keys?tenant=acme', undefined, 403],
      ['GET', '/v1/api-keys', undefined, 403],
      ['GET', '/v1/audit', undefined, 403],
      ['GET', '/admin/queues', undefined, 403],
      ['GET', '/admin/queues/api/queues', undefined, 403],
      ['POST', '/v1/models/reload', {}, 403],
      ['POST', '/v1/rescore', {}, 403],
      ['POST', '/v1/api-keys', { tenant: 'default', scopes: ['read', 'operator'] }, 403],
    ];
    for (const [method, path, body, status] of cases) {
      const res = await request(api.baseUrl, method, path, body, reader);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
      expect(typeof res.body.error?.code, `${method} ${path}`).toBe('string');
    }
    expect((await request(api.baseUrl, 'GET', '/v1/models/wnr-v3/evaluation', undefined, reader)).body.error.code).toBe('no_labels');
  });
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
