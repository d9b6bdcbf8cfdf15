import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from '../helpers/http.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

/** The 200 JSON schema of an operation, its component reference resolved. */
function responseSchema(doc: Doc, path: string, method = 'get'): any {
  const schema = doc.paths[path]![method].responses['200'].content['application/json'].schema;
  return schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()] : schema;
}

describe('the OpenAPI document', () => {
  let env: TestEnv;
  let api: RunningApp;
  beforeAll(async () => {
    env = await createTestEnv();
    api = await startTestApp(env, { roles: { web: true, worker: false } });
  });
  afterAll(async () => {
    await api.stop();
    await env.dispose();
  });

  // That it describes every route the app serves: test/unit/openapi-routes.test.ts.
  it('is served at /openapi.json without credentials', async () => {
    const res = await request(api.baseUrl, 'GET', '/openapi.json', undefined, { authorization: '' });
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
  });

  it('generates request schemas from the validating zod schemas', async () => {
    const doc = (await request(api.baseUrl, 'GET', '/openapi.json')).body;
    const ingest = doc.paths['/v1/epochs:ingest'].post;
    const variants = ingest.requestBody.content['application/json'].schema.anyOf;
    expect(variants).toHaveLength(2);
    expect(variants[1].required).toEqual(expect.arrayContaining(['recording_id', 'feature_schema_version', 'start_index', 'packed']));
    expect(ingest['x-required-scope']).toBe('ingest');
    const epochs = doc.paths['/v1/recordings/{id}/epochs'].get.parameters.map((p: { name: string }) => p.name);
    expect(epochs).toEqual(['id', 'from', 'to', 'limit', 'cursor']);
  });

  it('describes the evaluation responses, night statistics included', async () => {
    const doc = (await request(api.baseUrl, 'GET', '/openapi.json')).body;
    const schema = (path: string) => responseSchema(doc, path);
    const recording = schema('/v1/recordings/{id}/evaluation');
    expect(recording.required).toEqual(expect.arrayContaining(['n', 'cohen_kappa', 'confusion', 'night']));
    const night = recording.properties.night.anyOf.find((s: { type?: string }) => s.type === 'object');
    expect(Object.keys(night.properties)).toEqual(expect.arrayContaining(['labels', 'predicted', 'difference']));
    expect(Object.keys(night.properties.labels.properties)).toEqual(['tst_min', 'waso_min', 'sol_min', 'se_pct', 'spt_min', 'rem_latency_min', 'stage_minutes']);
    const model = schema('/v1/models/{version}/evaluation');
    expect(Object.keys(model.properties.night_errors.properties.tst_min.properties)).toEqual(['n', 'mae', 'mean_signed_error']);
    expect(model.properties.per_recording.items.required).toContain('night_difference');
  });

  it('describes the nights, trends, segments and listing responses', async () => {
    const doc = (await request(api.baseUrl, 'GET', '/openapi.json')).body;
    const schema = (path: string, method = 'get') => responseSchema(doc, path, method);
    const night = schema('/v1/devices/{id}/nights').properties.items.items;
    expect(night.required).toEqual(expect.arrayContaining(['date', 'recording_id', 'is_main_sleep', 'start', 'end', 'model_version', 'quality', 'summary']));
    expect(night.properties.quality.properties.code.enum).toEqual(['ok', 'not_scored', 'too_short', 'gappy', 'no_sleep']);
    const trend = schema('/v1/devices/{id}/trends').properties.items.items;
    expect(Object.keys(trend.properties)).toEqual(['date', 'recording_id', 'quality', 'tst_min', 'se_pct', 'waso_min', 'sol_min', 'rem_latency_min', 'minutes', 'window']);
    expect(Object.keys(schema('/v1/recordings/{id}/segments').properties)).toEqual(expect.arrayContaining(['segments', 'short_wakes']));
    expect(schema('/v1/recordings/{id}:close', 'post').properties.date.anyOf).toBeDefined();
    expect(schema('/v1/recordings').properties.items.items.required).toEqual(expect.arrayContaining(['epoch_count', 'ended_at', 'date', 'closed_at']));
    expect(Object.keys(schema('/v1/devices/{id}', 'patch').properties)).toContain('timezone');
    const trendsParams = doc.paths['/v1/devices/{id}/trends'].get.parameters.map((p: { name: string }) => p.name);
    expect(trendsParams).toEqual(['id', 'from', 'to', 'model_version', 'window']);
  });

  it('serves a browsable page listing every path', async () => {
    const page = await request(api.baseUrl, 'GET', '/docs', undefined, { authorization: '' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('/v1/epochs:ingest');
    expect(page.body).toContain('/v1/models/reload');
  });
});
