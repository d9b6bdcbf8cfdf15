import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('data lifecycle configuration', () => {
  it('erases 5000 rows per statement by default, 1 to 100000', () => {
    expect(loadConfig({}).ERASE_BATCH_ROWS).toBe(5000);
    expect(loadConfig({ ERASE_BATCH_ROWS: '10' }).ERASE_BATCH_ROWS).toBe(10);
    expect(problems({ ERASE_BATCH_ROWS: '0' })[0]).toMatch(/^ERASE_BATCH_ROWS="0"/);
    expect(problems({ ERASE_BATCH_ROWS: '100001' })[0]).toMatch(/^ERASE_BATCH_ROWS="100001"/);
  });
});
