import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { requireWithinRetention } from '../../src/retention/retention.guard.js';
import { rescoreCutoff, retentionCutoffs, startsBefore } from '../../src/retention/retention.policy.js';
import { AppError } from '../../src/errors/app-error.js';

const now = new Date('2026-06-30T12:00:00Z');

describe('retention cutoffs', () => {
  it('are null when unset and whole days before now otherwise', () => {
    expect(retentionCutoffs({ RETAIN_EPOCHS_DAYS: undefined, RETAIN_PREDICTIONS_DAYS: undefined }, now)).toEqual({ epochs: null, predictions: null });
    expect(retentionCutoffs({ RETAIN_EPOCHS_DAYS: 30, RETAIN_PREDICTIONS_DAYS: undefined }, now)).toEqual({ epochs: new Date('2026-05-31T12:00:00Z'), predictions: null });
  });

  it('skip re-scores of nights that start before the later cutoff', () => {
    const cutoff = rescoreCutoff({ RETAIN_EPOCHS_DAYS: 30, RETAIN_PREDICTIONS_DAYS: 10 }, now);
    expect(cutoff).toEqual(new Date('2026-06-20T12:00:00Z'));
    expect(startsBefore('2026-06-20T11:59:59Z', cutoff)).toBe(true);
    expect(startsBefore('2026-06-20T12:00:00Z', cutoff)).toBe(false);
    expect(startsBefore('2000-01-01T00:00:00Z', null)).toBe(false);
  });

  it('refuse an upload whose oldest epoch is past the epochs retention', () => {
    const config = loadConfig({ RETAIN_EPOCHS_DAYS: '30' });
    const recording = { id: 'r', started_at: '2026-05-31T11:00:00Z', epoch_seconds: 30 };
    // Epoch 120 starts at 12:00:00, exactly the cutoff: kept. Epoch 119 is 30 s older: refused.
    expect(() => requireWithinRetention(config, recording, [121, 120], now)).not.toThrow();
    let thrown: unknown;
    try {
      requireWithinRetention(config, recording, [200, 119, 150], now);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).statusCode).toBe(422);
    expect((thrown as AppError).code).toBe('outside_retention');
    expect((thrown as AppError).details).toMatchObject({ epoch_index: 119, retain_days: 30 });
    expect(() => requireWithinRetention(loadConfig({}), recording, [0], now)).not.toThrow();
  });
});
