import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/app-context.js';
import { BULL_BOARD_PATH } from '../../src/admin/bull-board.js';
import { loadConfig } from '../../src/config/config.js';
import { createExpressApp } from '../../src/express-app.js';
import { createLogger } from '../../src/logging/logger.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { buildOpenApiDocument } from '../../src/openapi/openapi.document.js';
import { COMPONENTS, ROUTES } from '../../src/openapi/routes.catalog.js';
import { QUEUE_NAMES } from '../../src/queues/queues.js';
import { servedRoutes } from '../helpers/served-routes.js';

/**
 * Only what building the routers touches: no route runs here, so no database or Redis is needed
 * (building the app must stay free of I/O for this to hold). The queues are stand-ins that Bull
 * Board accepts (metaValues); the Redis client never connects (lazyConnect).
 */
const redis = new Redis({ lazyConnect: true });
afterAll(() => redis.disconnect());

function routerOnlyContext(): AppContext {
  const config = loadConfig({ DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused', REDIS_URL: 'redis://127.0.0.1:1', MODELS_DIR: 'models' });
  const standIns = Object.fromEntries(QUEUE_NAMES.map((name) => [name, { name, opts: {}, metaValues: { version: 'bullmq:stand-in' } }]));
  // Ingest and night scoring live in shards (one, as by default).
  const queues = { ...standIns, shards: [{ index: 0, ingest: standIns['ingest'], night: standIns['night'] }] };
  return { config, redis, logger: createLogger('silent', {}), metrics: createMetrics('test'), queues } as unknown as AppContext;
}

type Operation = { operationId?: string; responses: Record<string, { content?: Record<string, { schema?: object }>; $ref?: string }> };

describe('the OpenAPI document against the Express app', () => {
  const doc = buildOpenApiDocument(ROUTES, '0.0.0', COMPONENTS);
  const operations = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ key: `${method} ${path}`, op })),
  );

  it('describes every route the app serves, and nothing it does not', () => {
    const served = servedRoutes(createExpressApp(routerOnlyContext()));
    // Bull Board is mounted as a sub-application rather than as routes.
    served.add(`get ${BULL_BOARD_PATH}`);
    const described = new Set(operations.map((o) => o.key));
    expect(served.size).toBeGreaterThan(30);
    expect([...served].filter((r) => !described.has(r)), 'served but not described').toEqual([]);
    expect([...described].filter((r) => !served.has(r)), 'described but not served').toEqual([]);
  });

  it('gives every operation a unique operationId and a non-empty schema for each success body', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.filter((id) => !id), 'without operationId').toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { key, op } of operations) {
      const successes = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      expect(successes.length, key).toBeGreaterThan(0);
      for (const [status, response] of successes) {
        if (status === '204') continue;
        const schemas = Object.values(response.content ?? {}).map((c) => c.schema);
        expect(schemas.length, `${key} ${status}`).toBeGreaterThan(0);
        for (const schema of schemas) expect(Object.keys(schema ?? {}), `${key} ${status}`).not.toEqual([]);
      }
    }
  });

  it('declares the shared Error body for every error status', () => {
    for (const { key, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400 || key === 'get /readyz') continue;
        expect(response.$ref, `${key} ${status}`).toMatch(/^#\/components\/responses\//);
      }
    }
  });
});
