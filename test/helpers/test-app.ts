import { Redis } from 'ioredis';
import { App } from '../../src/app.js';
import { loadConfig, type Config, type Env } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { SHIPPED_MODELS_DIR, TEST_ADMIN_TOKEN, TEST_REDIS_URL, uniqueName } from './services.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestEnv {
  readonly database: TestDatabase;
  readonly queuePrefix: string;
  /** Environment for the app or for child processes started by the test. */
  env(overrides?: Env): Record<string, string>;
  config(overrides?: Env): Config;
  dispose(): Promise<void>;
}

/** Own database and own queue prefix: test files run in parallel without sharing state. */
export async function createTestEnv(): Promise<TestEnv> {
  const database = await createTestDatabase();
  const queuePrefix = uniqueName('t');
  const env = (overrides: Env = {}): Record<string, string> => {
    const base: Record<string, string | undefined> = {
      PORT: '0',
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: queuePrefix,
      MODELS_DIR: SHIPPED_MODELS_DIR,
      LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
      DB_POOL_SIZE: '4',
      SWEEP_INTERVAL_SECONDS: '1',
      NOCTIS_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      ...overrides,
    };
    return Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
  };
  return {
    database,
    queuePrefix,
    env,
    config: (overrides = {}) => loadConfig(env(overrides)),
    async dispose() {
      await deleteQueueKeys(queuePrefix);
      await database.drop();
    },
  };
}

export async function deleteQueueKeys(queuePrefix: string, redisUrl = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    // `{prefix}:*` and the queue shards' `{prefix:i}:*`.
    for (const pattern of [`{${queuePrefix}}:*`, `{${queuePrefix}:*}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } catch {
    // Redis gone (a fault test stopped its own): nothing left to clean.
  } finally {
    redis.disconnect();
  }
}

export interface RunningApp {
  readonly app: App;
  readonly baseUrl: string;
  stop(): Promise<void>;
}

export async function startTestApp(
  testEnv: TestEnv,
  options: { roles?: { web: boolean; worker: boolean }; env?: Env } = {},
): Promise<RunningApp> {
  const config = testEnv.config(options.env);
  const app = App.create({
    config,
    readConfig: () => testEnv.config(options.env),
    roles: options.roles ?? { web: true, worker: true },
    logger: createLogger(config.LOG_LEVEL, { test: true }),
  });
  await app.start();
  return { app, baseUrl: `http://127.0.0.1:${app.port}`, stop: () => app.stop() };
}
