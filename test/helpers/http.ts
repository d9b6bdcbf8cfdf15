import { checkResponse } from './contract.js';
import { adminAuth } from './services.js';

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * Real HTTP against the app under test; the body is parsed when it is JSON. Requests carry the
 * test operator token unless `headers` sets `authorization` (an empty string sends none). Every
 * response is checked against the OpenAPI document (contract.ts): a mismatch fails the test.
 */
export async function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const auth = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization') ? {} : adminAuth;
  const merged: Record<string, string> = Object.fromEntries(Object.entries<string>({ ...auth, ...headers }).filter(([, v]) => v !== ''));
  const init: RequestInit = { method, headers: merged };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${baseUrl}${path}`, init);
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
  checkResponse(method, path, res.status, res.headers.get('content-type'), parsed);
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** Polls a job until it leaves queued/active, or fails the test after `timeoutMs`. */
export async function waitForJob(baseUrl: string, jobId: string, timeoutMs = 30_000, headers: Record<string, string> = {}): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request(baseUrl, 'GET', `/v1/jobs/${jobId}`, undefined, headers);
    if (res.status === 200 && !['queued', 'active'].includes(res.body.state)) return res.body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${res.body?.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
