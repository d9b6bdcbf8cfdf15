import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PeriodicTask } from '../../src/jobs/periodic-task.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
  return { log: pino({ level: 'debug' }, stream), lines };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PeriodicTask', () => {
  it('shares the pass in flight between concurrent calls', async () => {
    let passes = 0;
    const task = new PeriodicTask('count', 60_000, async () => { passes++; await sleep(20); return passes; }, capture().log);
    const [a, b] = await Promise.all([task.runOnce(), task.runOnce()]);
    expect([a, b, passes]).toEqual([1, 1, 1]);
    expect(await task.runOnce()).toBe(2);
  });

  it('logs a failed pass and runs again on the next tick; stop waits for the pass in flight', async () => {
    const { log, lines } = capture();
    let passes = 0;
    let finished = 0;
    const task = new PeriodicTask('flaky pass', 15, async () => {
      passes++;
      if (passes === 1) throw new Error('database away');
      await sleep(30);
      finished++;
    }, log);
    task.start();
    task.start(); // a second start keeps one timer
    while (passes < 2) await sleep(5);
    await task.stop();
    expect(finished).toBe(passes - 1);
    expect(lines.filter((l) => l['msg'] === 'flaky pass failed')).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, err: { message: 'database away' } });
    const after = passes;
    await sleep(50);
    expect(passes).toBe(after);
  });
});
