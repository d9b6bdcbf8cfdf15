import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nightQuality } from '../../src/nights/night-quality.js';
import { hypnogramSegments } from '../../src/nights/segments.js';
import { UNSCORED } from '../../src/summary/sleep-statistics.js';

const T = { minTibMinutes: 180, maxUnscoredPct: 20 };

describe('night quality', () => {
  it('is ok for a long, complete night with sleep', () => {
    expect(nightQuality({ tibMin: 480, unscoredMin: 0, tstMin: 400 }, T, 'v1')).toEqual({ code: 'ok', reasons: [] });
    // The thresholds are strict: exactly 180 min and exactly 20 % unscored are still ok.
    expect(nightQuality({ tibMin: 180, unscoredMin: 36, tstMin: 100 }, T, 'v1').code).toBe('ok');
  });

  it('names each condition and takes the code by precedence: not_scored > too_short > gappy > no_sleep', () => {
    expect(nightQuality(null, T, 'v1')).toEqual({ code: 'not_scored', reasons: [{ code: 'not_scored', message: 'no prediction of v1 in this night' }] });
    const all = nightQuality({ tibMin: 60, unscoredMin: 30, tstMin: 0 }, T, 'v1');
    expect(all.code).toBe('too_short');
    expect(all.reasons.map((r) => r.code)).toEqual(['too_short', 'gappy', 'no_sleep']);
    expect(all.reasons[0]!.message).toBe('time in bed 60 min is under 180 min');
    expect(all.reasons[1]!.message).toBe('50 % of the time in bed is unscored (more than 20 %)');
    expect(nightQuality({ tibMin: 480, unscoredMin: 100, tstMin: 0 }, T, 'v1').reasons.map((r) => r.code)).toEqual(['gappy', 'no_sleep']);
    expect(nightQuality({ tibMin: 480, unscoredMin: 0, tstMin: 0 }, T, 'v1').code).toBe('no_sleep');
    expect(nightQuality({ tibMin: 179.5, unscoredMin: 0, tstMin: 100 }, T, 'v1').code).toBe('too_short');
  });

  it('follows the configured thresholds', () => {
    const lenient = { minTibMinutes: 30, maxUnscoredPct: 60 };
    expect(nightQuality({ tibMin: 60, unscoredMin: 30, tstMin: 10 }, lenient, 'v1').code).toBe('ok');
  });
});

const WNR = ['W', 'NREM', 'REM'];
const START = Date.parse('2026-01-01T23:00:00Z');
const iso = (slot: number) => new Date(START + slot * 30_000).toISOString();
const classes = (stages: string) => [...stages].map((c) => (c === '?' ? UNSCORED : 'WNR'.indexOf(c)));
const seg = (stages: string, shortWakeMaxSeconds = 180) => hypnogramSegments({ labels: WNR, classes: classes(stages), startMs: START, epochSeconds: 30, shortWakeMaxSeconds });

describe('hypnogram segments', () => {
  it('folds a short wake into the stage before it and merges that stage with the same stage after it', () => {
    // W×2, N×4, W×2 (1 min, short), N×3, R×2, W×7 (3.5 min: not short), N×1, W×1 at the end (not inside sleep)
    const { segments, shortWakes } = seg('WWNNNNWWNNNRRWWWWWWWNW');
    expect(segments).toEqual([
      { start: iso(0), stage: 'W', seconds: 60 },
      { start: iso(2), stage: 'NREM', seconds: 270 },
      { start: iso(11), stage: 'REM', seconds: 60 },
      { start: iso(13), stage: 'W', seconds: 210 },
      { start: iso(20), stage: 'NREM', seconds: 30 },
      { start: iso(21), stage: 'W', seconds: 30 },
    ]);
    expect(shortWakes).toEqual([{ start: iso(6), seconds: 60 }]);
  });

  it('folds a short wake between two different stages into the one before it', () => {
    expect(seg('NNWRR')).toEqual({ segments: [{ start: iso(0), stage: 'NREM', seconds: 90 }, { start: iso(3), stage: 'REM', seconds: 60 }], shortWakes: [{ start: iso(2), seconds: 30 }] });
  });

  it('keeps unscored runs as their own segments and never folds a wake next to one', () => {
    expect(seg('NN??WNN').segments).toEqual([
      { start: iso(0), stage: 'NREM', seconds: 60 },
      { start: iso(2), stage: null, seconds: 60 },
      { start: iso(4), stage: 'W', seconds: 30 },
      { start: iso(5), stage: 'NREM', seconds: 60 },
    ]);
  });

  it('folds nothing with a threshold of 0, and a wake of exactly the threshold', () => {
    expect(seg('NWN', 0).shortWakes).toEqual([]);
    expect(seg('NWWWWWWN', 180).shortWakes).toEqual([{ start: iso(1), seconds: 180 }]);
    expect(seg('NWWWWWWWN', 180).shortWakes).toEqual([]);
  });

  it('for any hypnogram: segments tile it in order, adjacent segments differ, and folded wakes are the short wakes', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('W', 'N', 'R', '?'), { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 300 }), (stages, threshold) => {
        const { segments, shortWakes } = seg(stages.join(''), threshold);
        let slot = 0;
        for (const s of segments) {
          expect(s.start).toBe(iso(slot));
          slot += s.seconds / 30;
        }
        expect(slot).toBe(stages.length);
        for (let k = 1; k < segments.length; k++) expect(segments[k]!.stage).not.toBe(segments[k - 1]!.stage);
        // Wake time in segments plus short wakes equals the wake epochs; each short wake is within the threshold.
        const wakeInSegments = segments.filter((s) => s.stage === 'W').reduce((a, s) => a + s.seconds, 0);
        const shortSeconds = shortWakes.reduce((a, w) => a + w.seconds, 0);
        expect(wakeInSegments + shortSeconds).toBe(stages.filter((s) => s === 'W').length * 30);
        for (const w of shortWakes) {
          expect(w.seconds).toBeLessThanOrEqual(threshold);
          const first = (Date.parse(w.start) - START) / 30_000;
          expect(stages.slice(first, first + w.seconds / 30).every((s) => s === 'W')).toBe(true);
          expect(['N', 'R']).toContain(stages[first - 1]);
          expect(['N', 'R']).toContain(stages[first + w.seconds / 30]);
        }
      }),
    );
  });
});
