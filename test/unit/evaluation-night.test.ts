import { describe, expect, it } from 'vitest';
import { compareNight, MAX_NIGHT_EPOCHS, type LabelledPrediction } from '../../src/evaluation/evaluation.night.js';
import { NightErrorAccumulator } from '../../src/evaluation/evaluation.night-errors.js';

const WNR = ['W', 'NREM', 'REM'];
const rows = (listing: string): LabelledPrediction[] =>
  listing.split(' ').map((item) => {
    const [index, truth, predicted] = item.split(':');
    return { epoch_index: Number(index), truth: truth!, predicted: predicted! };
  });

describe('compareNight', () => {
  it('spans first..last row whatever the order, unscored where no row', () => {
    const night = compareNight(WNR, rows('12:N2:NREM 10:W:W 14:REM:REM'), 30)!;
    expect(night).toMatchObject({ first_epoch_index: 10, last_epoch_index: 14, epochs: 5, tib_min: 2.5, unscored_min: 1 });
    // Labels and predictions agree: the difference is zero everywhere it is defined.
    expect(night.labels).toEqual(night.predicted);
    expect(night.labels).toMatchObject({ sol_min: 1, tst_min: 1, spt_min: 1.5, rem_latency_min: 1 });
    expect(night.difference).toEqual({ tst_min: 0, waso_min: 0, sol_min: 0, se_pct: 0, spt_min: 0, rem_latency_min: 0, stage_minutes: { W: 0, NREM: 0, REM: 0 } });
  });

  it('keeps an unmapped epoch inside the span but unscored on both sides', () => {
    // N3 has no class in W/LIGHT/REM; epoch 0 still opens the span and counts as time in bed.
    const night = compareNight(['W', 'LIGHT', 'REM'], rows('0:N3:LIGHT 1:N2:W 2:N2:LIGHT'), 60)!;
    expect(night).toMatchObject({ first_epoch_index: 0, epochs: 3, tib_min: 3, unscored_min: 1 });
    expect(night.labels).toMatchObject({ sol_min: 1, tst_min: 2, stage_minutes: { W: 0, LIGHT: 2, REM: 0 } });
    expect(night.predicted).toMatchObject({ sol_min: 2, tst_min: 1, stage_minutes: { W: 1, LIGHT: 1, REM: 0 } });
    expect(night.difference).toMatchObject({ sol_min: 1, tst_min: -1, rem_latency_min: null });
  });

  it('is null beyond MAX_NIGHT_EPOCHS slots and rejects a prediction outside the label map', () => {
    expect(compareNight(WNR, rows(`0:W:W ${MAX_NIGHT_EPOCHS}:W:W`), 30)).toBeNull();
    expect(compareNight(WNR, rows(`0:W:W ${MAX_NIGHT_EPOCHS - 1}:W:W`), 30)).not.toBeNull();
    expect(() => compareNight(WNR, rows('0:W:N2'), 30)).toThrow(/not one of W, NREM, REM/);
  });
});

describe('NightErrorAccumulator', () => {
  it('averages absolute and signed differences over the recordings where both are defined', () => {
    const acc = new NightErrorAccumulator(WNR);
    const d = (tst: number, sol: number | null) => ({ tst_min: tst, waso_min: 0, sol_min: sol, se_pct: 0, spt_min: 0, rem_latency_min: null, stage_minutes: { W: -tst, NREM: tst, REM: 0 } });
    acc.add(d(2, null));
    acc.add(d(-1, 3));
    acc.add(null);
    const e = acc.result();
    expect(e.tst_min).toEqual({ n: 2, mae: 1.5, mean_signed_error: 0.5 });
    expect(e.sol_min).toEqual({ n: 1, mae: 3, mean_signed_error: 3 });
    expect(e.rem_latency_min).toEqual({ n: 0, mae: null, mean_signed_error: null });
    expect(e.stage_minutes).toEqual({ W: { n: 2, mae: 1.5, mean_signed_error: -0.5 }, NREM: { n: 2, mae: 1.5, mean_signed_error: 0.5 }, REM: { n: 2, mae: 0, mean_signed_error: 0 } });
  });
});
