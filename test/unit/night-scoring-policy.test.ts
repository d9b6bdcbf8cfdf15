import { describe, expect, it } from 'vitest';
import { whenToScore } from '../../src/night-scoring/night-scoring.policy.js';
import type { NightScoringState } from '../../src/night-scoring/night-scoring.repository.js';

const config = { NIGHT_SCORING_DEBOUNCE_MS: 1000, NIGHT_SCORING_MAX_WAIT_SECONDS: 30, NIGHT_SCORING_BUDGET: 3, NIGHT_SCORING_SETTLE_SECONDS: 10 };
const T0 = Date.parse('2026-11-30T08:00:00Z');
const state = (over: Partial<NightScoringState> = {}): NightScoringState => ({
  generation: 1,
  pending_since: new Date(T0),
  last_request_at: new Date(T0),
  scored_epochs: 0,
  settle_overrides: 0,
  ...over,
});

describe('when a night may be scored (whenToScore)', () => {
  it('scores at once when nothing waits', () => {
    expect(whenToScore(config, state({ pending_since: null, last_request_at: null }), 900, T0)).toEqual({ runAt: null, overBudget: false });
  });

  it('waits for the uploads to be quiet for the debounce, but no longer than the ceiling after the first', () => {
    expect(whenToScore(config, state(), 100, T0 + 200)).toEqual({ runAt: T0 + 1000, overBudget: false });
    expect(whenToScore(config, state(), 100, T0 + 1000)).toEqual({ runAt: null, overBudget: false });
    // Uploads keep arriving every half second: the ceiling 30 s after the first one wins.
    const busy = state({ last_request_at: new Date(T0 + 29_800) });
    expect(whenToScore(config, busy, 500, T0 + 29_900)).toEqual({ runAt: T0 + 30_000, overBudget: false });
    expect(whenToScore(config, busy, 500, T0 + 30_000).runAt).toBeNull();
  });

  it('within budget, scores once debounced; past it, waits for the night to grow or to settle', () => {
    // 500 epochs scored so far, 300 stored: 500 + 300 <= 3 × 300.
    expect(whenToScore(config, state({ scored_epochs: 500 }), 300, T0 + 1000)).toEqual({ runAt: null, overBudget: false });
    // 700 + 300 > 900: wait until 10 s after the last upload...
    expect(whenToScore(config, state({ scored_epochs: 700 }), 300, T0 + 1000)).toEqual({ runAt: T0 + 10_000, overBudget: false });
    // ...unless the night grew enough meanwhile (700 + 400 <= 1200)...
    expect(whenToScore(config, state({ scored_epochs: 700 }), 400, T0 + 1000).runAt).toBeNull();
    // ...and once settled it goes ahead, marked over budget.
    expect(whenToScore(config, state({ scored_epochs: 700 }), 300, T0 + 10_000)).toEqual({ runAt: null, overBudget: true });
  });

  it('doubles the settle time for every earlier over-budget scoring of the night', () => {
    const spent = state({ scored_epochs: 5000, settle_overrides: 3 });
    expect(whenToScore(config, spent, 300, T0 + 10_000)).toEqual({ runAt: T0 + 80_000, overBudget: false });
    expect(whenToScore(config, spent, 300, T0 + 80_000)).toEqual({ runAt: null, overBudget: true });
  });

  it('keeps the epochs scored per stored epoch bounded for every upload pattern (simulated)', () => {
    // Parts of a 950-epoch night arrive at the given times; the first is scored inline (as ingest
    // does for an empty recording) and every scoring reads the whole stored night.
    const simulate = (times: number[]) => {
      const per = 950 / times.length;
      let stored = per;
      let s = state({ pending_since: null, last_request_at: null, scored_epochs: per });
      let jobAt: number | null = null;
      for (let i = 1; ; ) {
        const upload = i < times.length ? times[i]! : Infinity;
        if (jobAt !== null && jobAt <= upload) {
          const plan = whenToScore(config, s, stored, jobAt);
          if (plan.runAt !== null) jobAt = plan.runAt;
          else {
            s = { ...s, pending_since: null, scored_epochs: s.scored_epochs + stored, settle_overrides: s.settle_overrides + (plan.overBudget ? 1 : 0) };
            jobAt = null;
          }
          continue;
        }
        if (upload === Infinity) break;
        stored += per;
        s = { ...s, pending_since: s.pending_since ?? new Date(upload), last_request_at: new Date(upload) };
        jobAt ??= upload + config.NIGHT_SCORING_DEBOUNCE_MS;
        i++;
      }
      return s.scored_epochs / 950;
    };
    const every = (n: number, gapMs: number) => Array.from({ length: n }, (_, k) => T0 + k * gapMs);
    expect(simulate(every(1, 0))).toBe(1);
    // 100 parts within a minute, sent back to back or paced over the minute (issue 10's case).
    expect(simulate(every(100, 30))).toBeLessThan(1.1);
    expect(simulate(every(100, 600))).toBeLessThan(2);
    // Gaps just over the debounce: without the budget each part was its own scoring (25 per epoch).
    expect(simulate(every(50, 1200))).toBeLessThan(3.5);
    expect(simulate(every(30, 2000))).toBeLessThan(3.5);
    expect(simulate(every(10, 10_000))).toBeLessThan(3.5);
    // Devices streaming epochs all night: every 30 s, and every 5 minutes.
    expect(simulate(every(950, 30_000))).toBeLessThan(4);
    expect(simulate(every(95, 300_000))).toBeLessThan(4);
  });
});
