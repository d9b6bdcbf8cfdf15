import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnEntry } from '../helpers/processes.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// A process whose port is taken must say so and exit, not log "listening" and keep running: an API
// that serves nothing while its health checks reach another process, or a worker that consumes jobs
// with no probe of its own. Express 5 hands the listen error to the listen callback.
let testEnv: TestEnv;
let taken: Server;
let port: number;

beforeAll(async () => {
  testEnv = await createTestEnv();
  port = await freePort();
  taken = createServer();
  await new Promise<void>((resolve) => taken.listen(port, '0.0.0.0', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => taken?.close(resolve));
  await testEnv?.dispose();
});

describe('a port already in use', () => {
  it.each([
    ['the API (PORT)', 'src/entry/web.ts', 'PORT'],
    ['a worker (METRICS_PORT)', 'workers/main.ts', 'METRICS_PORT'],
  ])('%s exits 1 naming EADDRINUSE, never logging "listening"', async (_name, entry, variable) => {
    const run = spawnEntry(entry, testEnv.env({ [variable]: String(port), LOG_LEVEL: 'info' }));
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 30_000);
    const code = await run.exited;
    clearTimeout(timer);
    expect(code, run.output()).toBe(1);
    expect(run.output()).toContain('EADDRINUSE');
    expect(run.output()).toContain('could not start');
    expect(run.output()).not.toContain('"msg":"listening"');
  }, 40_000);
});
