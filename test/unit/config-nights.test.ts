import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

describe('nights configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect([c.RECORDING_IDLE_MINUTES, c.RECORDING_IDLE_CHECK_SECONDS, c.NIGHT_MIN_TIB_MINUTES, c.NIGHT_MAX_UNSCORED_PCT, c.NIGHTS_OPEN_LIMIT]).toEqual([720, 60, 180, 20, 8]);
  });

  it('takes fractions of a minute for the idle period', () => {
    expect(loadConfig({ RECORDING_IDLE_MINUTES: '0.05' }).RECORDING_IDLE_MINUTES).toBe(0.05);
  });

  it('refuses an idle period longer than finished jobs are kept, naming the variable', () => {
    expect(() => loadConfig({ RECORDING_IDLE_MINUTES: '2000', JOB_RETENTION_HOURS: '24' })).toThrow(/RECORDING_IDLE_MINUTES="2000": must not exceed JOB_RETENTION_HOURS × 60/);
    expect(loadConfig({ RECORDING_IDLE_MINUTES: '1440', JOB_RETENTION_HOURS: '24' }).RECORDING_IDLE_MINUTES).toBe(1440);
  });

  it('reports every bad nights variable at once', () => {
    try {
      loadConfig({ RECORDING_IDLE_MINUTES: '0', NIGHT_MAX_UNSCORED_PCT: '101', NIGHTS_OPEN_LIMIT: 'many' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.split(/[=:]/)[0])).toEqual(['RECORDING_IDLE_MINUTES', 'NIGHT_MAX_UNSCORED_PCT', 'NIGHTS_OPEN_LIMIT']);
    }
  });
});
