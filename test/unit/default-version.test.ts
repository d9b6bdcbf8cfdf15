import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultVersionScore, MINUTE_PENALTY, pickDefaultVersion } from '../../src/models/default-version.js';
import { SHIPPED_MODELS_DIR } from '../helpers/services.js';

/** metadata.json with the figures the rule reads. */
function meta(wnrKappa: number, tst: number, waso: number, rem: number, ownKappa = wnrKappa): Record<string, unknown> {
  const mae = (v: number) => ({ mae: v, mean_signed_error: 0, n_nights: 24 });
  return {
    evaluation: {
      cohen_kappa: ownKappa,
      kappa: { w_nrem_rem: { pooled: wnrKappa, subject_mean: 0, subject_sd: 0 } },
      night_statistics: { metrics: { tst_min: mae(tst), waso_min: mae(waso), minutes_REM: mae(rem), sol_min: mae(99) } },
    },
  };
}

describe('default version rule', () => {
  it('scores W/NREM/REM pooled kappa minus 0.005 per minute of mean TST, WASO and REM-minutes error', () => {
    expect(MINUTE_PENALTY).toBe(0.005);
    expect(defaultVersionScore(meta(0.45, 15, 9, 21))).toBeCloseTo(0.45 - 0.005 * 15, 12);
    expect(defaultVersionScore({})).toBeNull();
    expect(defaultVersionScore({ evaluation: { cohen_kappa: 0.9 } })).toBeNull();
    const noRem = meta(0.4, 10, 10, 10) as any;
    delete noRem.evaluation.night_statistics.metrics.minutes_REM;
    expect(defaultVersionScore(noRem)).toBeNull();
  });

  it('weighs night errors against kappa: a lower kappa with much better nights wins', () => {
    const models = [
      { version: 'sharp', metadata: meta(0.36, 40, 40, 76) }, // 0.36 - 0.26 = 0.10
      { version: 'honest', metadata: meta(0.33, 15, 10, 20) }, // 0.33 - 0.075 = 0.255
    ];
    expect(pickDefaultVersion(models)).toBe('honest');
  });

  it('ranks a version without the figures last (then by its own kappa), and breaks ties by name', () => {
    expect(pickDefaultVersion([{ version: 'old', metadata: { evaluation: { cohen_kappa: 0.99 } } }, { version: 'new', metadata: meta(0.1, 50, 50, 50) }])).toBe('new');
    expect(pickDefaultVersion([{ version: 'a', metadata: { evaluation: { cohen_kappa: 0.2 } } }, { version: 'b', metadata: { evaluation: { cohen_kappa: 0.3 } } }])).toBe('b');
    expect(pickDefaultVersion([{ version: 'y', metadata: meta(0.4, 10, 10, 10) }, { version: 'x', metadata: meta(0.4, 10, 10, 10) }])).toBe('x');
    expect(pickDefaultVersion([])).toBeUndefined();
  });

  it('makes wnr-v3 the default among the shipped versions', () => {
    const shipped = readdirSync(SHIPPED_MODELS_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => ({ version: e.name, metadata: JSON.parse(readFileSync(path.join(SHIPPED_MODELS_DIR, e.name, 'metadata.json'), 'utf8')) }));
    for (const m of shipped) expect(defaultVersionScore(m.metadata), m.version).not.toBeNull();
    expect(pickDefaultVersion(shipped)).toBe('wnr-v3');
  });
});
