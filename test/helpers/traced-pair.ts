import { expect } from 'vitest';
import { request } from './http.js';
import type { OtlpReceiver, ReceivedSpan } from './otlp-receiver.js';
import { freePort, spawnEntry, waitUntil, type ChildHandle } from './processes.js';
import type { TestEnv } from './test-app.js';

/** OTLP span kinds as the receiver gets them. */
export const SERVER = 2;
export const PRODUCER = 4;
export const CONSUMER = 5;

const up = (url: string) => async () => (await request(url, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200;

export interface ProcessPair {
  readonly web: ChildHandle;
  readonly worker: ChildHandle;
  readonly apiUrl: string;
}

/** Starts the compiled API and worker entries with `extra` environment; both log at info. */
export async function startPair(env: TestEnv, extra: (role: string) => Record<string, string>): Promise<ProcessPair> {
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const web = spawnEntry('src/entry/web.ts', env.env({ PORT: String(apiPort), LOG_LEVEL: 'info', ...extra('api') }));
  const worker = spawnEntry('workers/main.ts', env.env({ LOG_LEVEL: 'info', ...extra('worker') }));
  await waitUntil('the API', up(apiUrl), 90_000, 200);
  await waitUntil('the worker', () => worker.output().includes('"listening"') || worker.output().includes('tracing'), 90_000, 200);
  return { web, worker, apiUrl };
}

/** The OTEL_* variables of a process that exports to `receiver` as `noctis-<role>`, quickly. */
export function tracingEnv(receiver: OtlpReceiver, role: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: `noctis-${role}`,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
}

/** The names of a span's ancestors among `spans`, nearest first. */
export function ancestorNames(spans: readonly ReceivedSpan[], span: ReceivedSpan): string[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const out: string[] = [];
  for (let p = byId.get(span.parentSpanId); p; p = byId.get(p.parentSpanId)) out.push(p.name);
  return out;
}

/**
 * The worker's part of one upload's trace (`spans`): a score span of `epochs` epochs by `model`, and
 * more than three worker pg spans, an INSERT among them, all under its `ingest process` span.
 */
export function expectScoredAndStoredInTrace(spans: readonly ReceivedSpan[], epochs: number, model: string): void {
  const scores = spans.filter((s) => s.name === 'score');
  expect(scores).toHaveLength(1);
  expect(scores[0]!.attributes).toMatchObject({ 'noctis.epochs': epochs, 'noctis.model_version': model });
  expect(ancestorNames(spans, scores[0]!)).toContain('ingest process');
  const workerPg = spans.filter((s) => s.service === 'noctis-worker' && s.scope.includes('pg'));
  expect(workerPg.length).toBeGreaterThan(3);
  for (const s of workerPg) expect(ancestorNames(spans, s)).toContain('ingest process');
  expect(workerPg.some((s) => /INSERT/i.test(String(s.attributes['db.query.text'] ?? s.attributes['db.statement'] ?? s.name)))).toBe(true);
}
