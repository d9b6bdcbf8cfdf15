import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnEntry, waitUntil, type ChildHandle } from '../helpers/processes.js';
import { REPO_ROOT } from '../helpers/services.js';
import { createTestEnv, type TestEnv } from '../helpers/test-app.js';

// The compiled cluster primary (dist/src/entry/web.js, as the image runs it) with one healthy API
// process and one that dies as it starts, again and again (a preloaded module makes every cluster
// worker after the first exit 3).
const DIES_AT_START = path.join(REPO_ROOT, 'test/fixtures/api-process-dies-at-start.mjs');

interface LogLine {
  /** ISO 8601, to the millisecond. */
  time: string;
  role: string;
  msg: string;
  child_pid?: number;
  delayMs?: number;
  crashes?: number;
  code?: number;
}

const at = (line: LogLine): number => Date.parse(line.time);

const primaryLog = (handle: ChildHandle): LogLine[] =>
  handle
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.role === 'web-primary');

describe('the cluster primary when its API processes keep dying', () => {
  let env: TestEnv;
  let web: ChildHandle | undefined;
  const start = async (extra: Record<string, string> = {}) =>
    spawnEntry('src/entry/web.ts', env.env({ PORT: String(await freePort()), WEB_CONCURRENCY: '2', LOG_LEVEL: 'info', NODE_OPTIONS: `--import=${DIES_AT_START}`, ...extra }));

  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterEach(async () => {
    await web?.kill('SIGKILL');
  });
  afterAll(async () => {
    await env.dispose();
  });

  it('restarts the dying one after 1, 2, 4, 8 s, then at the 5th death in a minute drains the healthy one and exits 1', async () => {
    web = await start();
    expect(await web.exited).toBe(1);
    const log = primaryLog(web);
    const started = log.filter((l) => l.msg === 'API process started');
    const died = log.filter((l) => l.msg.startsWith('API process died'));
    expect(died.map((l) => [l.code, l.delayMs, l.crashes])).toEqual([[3, 1000, 1], [3, 2000, 2], [3, 4000, 3], [3, 8000, 4]]);
    // Two at start, then one after each death, no sooner than its delay.
    expect(started).toHaveLength(6);
    died.forEach((death, i) => expect(at(started[2 + i]!) - at(death)).toBeGreaterThanOrEqual(death.delayMs! - 1));
    expect(log.at(-1)).toMatchObject({ msg: 'API processes keep dying; stopping the cluster', crashes: 5, code: 3 });
    // The healthy process was stopped with SIGTERM and drained, not killed.
    const healthy = started[0]!.child_pid;
    expect(web.output()).toMatch(new RegExp(`"pid":${healthy},"signal":"SIGTERM","msg":"draining"`));
    expect(web.output()).toMatch(new RegExp(`"pid":${healthy},"msg":"stopped"`));
  });

  it('exits 0 on SIGTERM during a backoff, without starting another process', async () => {
    web = await start();
    const handle = web;
    // The healthy process serving, the other one dead and waiting out its backoff.
    const waiting = () => handle.output().includes('"msg":"listening"') && primaryLog(handle).at(-1)!.msg.startsWith('API process died');
    await waitUntil('a backoff with the healthy process listening', waiting, 30_000, 20);
    expect(await handle.kill('SIGTERM')).toBe(0);
    const log = primaryLog(handle);
    const stopping = log.findIndex((l) => l.msg === 'stopping API processes');
    expect(stopping).toBeGreaterThan(0);
    expect(log.slice(stopping).filter((l) => l.msg === 'API process started')).toEqual([]);
    expect(handle.output()).toMatch(new RegExp(`"pid":${log[0]!.child_pid},"msg":"stopped"`));
  });

  it('exits 0 at once on SIGTERM while every API process is dead and waiting to restart', async () => {
    web = await start({ TEST_DIE_FROM_WORKER: '1' });
    const handle = web;
    const count = (log: LogLine[], prefix: string) => log.filter((l) => l.msg.startsWith(prefix)).length;
    const allDead = () => {
      const log = primaryLog(handle);
      return count(log, 'API process died') >= 2 && count(log, 'API process died') === count(log, 'API process started');
    };
    await waitUntil('every API process to be dead', allDead, 30_000, 10);
    // No process left to drain: the primary exits on the signal itself (a hang fails the test).
    expect(await handle.kill('SIGTERM')).toBe(0);
    const log = primaryLog(handle);
    expect(log.slice(log.findIndex((l) => l.msg === 'stopping API processes')).filter((l) => l.msg === 'API process started')).toEqual([]);
  });
});
