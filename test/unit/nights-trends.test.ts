import { describe, expect, it } from 'vitest';
import { addDays } from '../../src/nights/local-date.js';
import { rollingTrends, type DayInput } from '../../src/nights/trends.js';

const LABELS = ['W', 'NREM', 'REM'];
const fig = (tst: number, rem: number | null = 90) => ({ tst_min: tst, se_pct: tst / 5, waso_min: 500 - tst, sol_min: 10, rem_latency_min: rem, minutes: { W: 500 - tst, NREM: tst - 100, REM: 100 } });

function days(spec: Array<[quality: DayInput['quality'], tst: number | null, rem?: number | null]>): DayInput[] {
  return spec.map(([quality, tst, rem], k) => ({
    date: addDays('2026-01-01', k),
    recordingId: quality === null ? null : `rec-${k}`,
    quality,
    figures: tst === null ? null : fig(tst, rem === undefined ? 90 : rem),
  }));
}

describe('rolling trends', () => {
  const input = days([
    ['ok', 400], // 01-01: only in the window
    ['gappy', 300], // 01-02: not ok, never counted
    ['ok', 420, null], // 01-03: no REM latency
    [null, null], // 01-04: no night
    ['ok', 380], // 01-05
    ['not_scored', null], // 01-06
  ]);
  const items = rollingTrends(input, 3, LABELS);

  it('returns the dates after the window, with the day values only for ok nights', () => {
    expect(items.map((i) => i.date)).toEqual(['2026-01-04', '2026-01-05', '2026-01-06']);
    expect(items[0]).toMatchObject({ recording_id: null, quality: null, tst_min: null, minutes: null });
    expect(items[1]).toMatchObject({ recording_id: 'rec-4', quality: 'ok', tst_min: 380, se_pct: 76, waso_min: 120, rem_latency_min: 90, minutes: { W: 120, NREM: 280, REM: 100 } });
    expect(items[2]).toMatchObject({ recording_id: 'rec-5', quality: 'not_scored', tst_min: null });
  });

  it('means each figure over the ok nights of the window dates before the date, skipping nulls', () => {
    // 01-04: window 01-01..01-03 holds two ok nights (400, 420).
    expect(items[0]!.window).toEqual({ nights: 2, tst_min: 410, se_pct: 82, waso_min: 90, sol_min: 10, rem_latency_min: 90, minutes: { W: 90, NREM: 310, REM: 100 } });
    // 01-05: window 01-02..01-04 holds one (420, no REM latency).
    expect(items[1]!.window).toEqual({ nights: 1, tst_min: 420, se_pct: 84, waso_min: 80, sol_min: 10, rem_latency_min: null, minutes: { W: 80, NREM: 320, REM: 100 } });
    // 01-06: window 01-03..01-05 holds 420 and 380; the date itself is never in its own window.
    expect(items[2]!.window.tst_min).toBe(400);
    expect(items[2]!.window.nights).toBe(2);
  });

  it('has an empty window (nights 0, means null) when no ok night precedes', () => {
    const [only] = rollingTrends(days([[null, null], ['ok', 400]]), 1, LABELS);
    expect(only!.window).toEqual({ nights: 0, tst_min: null, se_pct: null, waso_min: null, sol_min: null, rem_latency_min: null, minutes: null });
  });
});
