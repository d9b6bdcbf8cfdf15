import { describe, expect, it } from 'vitest';
import { checkResponse, findOperation } from '../helpers/contract.js';

// The integration tests trust checkResponse to fail on drift: these cases show that it does.
describe('checking responses against the OpenAPI document', () => {
  const device = { id: '3f0c1d2e-4b5a-4c6d-8e7f-901234567890', external_id: 'x', name: null, model: null, firmware: null, metadata: {}, timezone: 'UTC', created_at: '2026-01-01T00:00:00.000Z' };
  const json = 'application/json; charset=utf-8';

  it('finds operations by method and path template, literal segments first', () => {
    expect(findOperation('GET', `/v1/devices/${device.id}?x=1`)?.op.operationId).toBe('getDevice');
    expect(findOperation('POST', `/v1/recordings/${device.id}:close`)?.op.operationId).toBe('closeRecording');
    expect(findOperation('POST', '/v1/models/reload')?.op.operationId).toBe('reloadModels');
    expect(findOperation('GET', '/v1/models/reload')?.op.operationId).toBe('getModel');
  });

  it('accepts a body that matches and rejects one that does not, naming the field', () => {
    expect(() => checkResponse('GET', `/v1/devices/${device.id}`, 200, json, device)).not.toThrow();
    expect(() => checkResponse('GET', `/v1/devices/${device.id}`, 200, json, { ...device, timezone: 3 })).toThrow(/getDevice.*\n.*\/timezone must be string/);
    expect(() => checkResponse('GET', `/v1/devices/${device.id}`, 200, json, { ...device, extra: 1 })).toThrow(/additional properties/);
  });

  it('rejects undeclared statuses and content types', () => {
    expect(() => checkResponse('GET', `/v1/devices/${device.id}`, 409, json, {})).toThrow(/answered 409, which the document does not declare/);
    expect(() => checkResponse('GET', '/docs', 200, json, {})).toThrow(/content type/);
    expect(() => checkResponse('GET', '/docs', 200, 'text/html; charset=utf-8', '<html>')).not.toThrow();
  });

  it('holds errors, also of paths no route serves, to the shared Error body', () => {
    const error = { error: { code: 'not_found', message: 'no route', details: {} } };
    expect(() => checkResponse('GET', '/v1/nope', 404, json, error)).not.toThrow();
    expect(() => checkResponse('GET', `/v1/devices/${device.id}`, 404, json, { error: { code: 'not_found' } })).toThrow(/message/);
    expect(() => checkResponse('GET', '/v1/nope', 200, json, {})).toThrow(/no operation/);
  });
});
