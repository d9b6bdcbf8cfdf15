import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { enqueueOrLeaveToSweeper } from '../../src/jobs/enqueue-or-sweep.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString())); cb(); } });
  return { log: pino({ level: 'debug' }, stream), lines };
}

describe('enqueueOrLeaveToSweeper', () => {
  it('resolves when Redis refuses, and says the sweeper will retry which job', async () => {
    const { log, lines } = capture();
    await expect(enqueueOrLeaveToSweeper(log, 'job-1', () => Promise.reject(new Error('Connection is closed.')))).resolves.toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, jobId: 'job-1', msg: 'enqueue failed; the sweeper will retry', err: { message: 'Connection is closed.' } });
  });

  it('logs nothing when the job is queued', async () => {
    const { log, lines } = capture();
    let called = 0;
    await enqueueOrLeaveToSweeper(log, 'job-2', async () => void called++);
    expect(called).toBe(1);
    expect(lines).toEqual([]);
  });
});
