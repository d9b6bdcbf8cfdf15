import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, RestartPolicy } from '../../src/entry/restart-policy.js';

const S = 1000;

describe('the cluster restart policy', () => {
  it('doubles the delay from 1 s for crashes in a row and gives up at the 5th within 60 s', () => {
    const policy = new RestartPolicy();
    const decisions = [0, 1, 3, 7, 15].map((t) => policy.crashed(t * S));
    expect(decisions.slice(0, 4)).toEqual([1, 2, 4, 8].map((d, i) => ({ action: 'restart', delayMs: d * S, crashesInWindow: i + 1 })));
    expect(decisions[4]).toEqual({ action: 'give-up', crashesInWindow: 5 });
  });

  it('caps the delay at 30 s when the crashes are spread too thin to give up', () => {
    const policy = new RestartPolicy();
    // 25 s apart: never 5 within 60 s, never 60 s without a crash.
    const delays = Array.from({ length: 8 }, (_, i) => policy.crashed(i * 25 * S)).map((d) => (d.action === 'restart' ? d.delayMs / S : d.action));
    expect(delays).toEqual([1, 2, 4, 8, 16, 30, 30, 30]);
  });

  it('starts over at 1 s after a stable minute', () => {
    const policy = new RestartPolicy();
    for (const t of [0, 1, 3]) policy.crashed(t * S);
    expect(policy.crashed(3 * S + DEFAULT_RESTART_POLICY.stableAfterMs)).toEqual({ action: 'restart', delayMs: 1 * S, crashesInWindow: 1 });
    expect(policy.crashed(64 * S)).toMatchObject({ delayMs: 2 * S });
  });

  it('counts only the crashes of the last 60 s towards giving up', () => {
    const policy = new RestartPolicy();
    for (const t of [0, 10, 20, 30]) policy.crashed(t * S);
    // The crash at 0 s has left the window: 4 in the window, not 5.
    expect(policy.crashed(61 * S)).toMatchObject({ action: 'restart', crashesInWindow: 4 });
    expect(policy.crashed(62 * S)).toEqual({ action: 'give-up', crashesInWindow: 5 });
  });
});
