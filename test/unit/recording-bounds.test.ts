import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors/app-error.js';
import { requireIndicesWithin, requireSpanWithin } from '../../src/epochs/recording-limit.js';
import { requireStartedAtInRange } from '../../src/recordings/started-at.js';

function errorOf(run: () => void): AppError | null {
  try {
    run();
    return null;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
}

describe('epoch indices of a recording', () => {
  it('accepts 0 .. limit − 1 and names the first index at or past the limit', () => {
    expect(errorOf(() => requireIndicesWithin([0, 5759, 17], 5760))).toBeNull();
    const err = errorOf(() => requireIndicesWithin([3, 150_000_000, 5760], 5760));
    expect(err?.statusCode).toBe(422);
    expect(err?.code).toBe('epoch_index_out_of_range');
    expect(err?.details).toEqual({ epoch_index: 150_000_000, limit: 5760 });
  });

  it('checks a packed span from its start through start + count − 1', () => {
    expect(errorOf(() => requireSpanWithin(5759, 1, 5760))).toBeNull();
    expect(errorOf(() => requireSpanWithin(0, 5760, 5760))).toBeNull();
    expect(errorOf(() => requireSpanWithin(5759, 2, 5760))?.details).toEqual({ epoch_index: 5760, limit: 5760 });
    expect(errorOf(() => requireSpanWithin(9000, 1, 5760))?.details).toEqual({ epoch_index: 9000, limit: 5760 });
  });
});

describe('started_at of a recording', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  it.each(['2000-01-01T00:00:00Z', '2026-11-30T12:00:00Z', '2026-12-01T12:00:00Z', '2026-12-01T13:00:00+01:00'])('accepts %s', (value) => {
    expect(errorOf(() => requireStartedAtInRange(value, now))).toBeNull();
  });
  it.each(['1999-12-31T23:59:59.999Z', '0001-01-01T00:00:00Z', '2026-12-01T12:00:00.001Z', '9999-12-31T23:59:59Z'])('rejects %s with 422 started_at_out_of_range', (value) => {
    const err = errorOf(() => requireStartedAtInRange(value, now));
    expect(err?.statusCode).toBe(422);
    expect(err?.code).toBe('started_at_out_of_range');
    expect(err?.details).toEqual({ started_at: value, earliest: '2000-01-01T00:00:00.000Z', latest: '2026-12-01T12:00:00.000Z' });
  });
});
