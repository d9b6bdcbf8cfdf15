import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { configProblems as problems } from '../helpers/config-problems.js';


describe('data lifecycle configuration', () => {
  it('erases 5000 rows per statement by default, 1 to 100000', () => {
    expect(loadConfig({}).ERASE_BATCH_ROWS).toBe(5000);
    expect(loadConfig({ ERASE_BATCH_ROWS: '10' }).ERASE_BATCH_ROWS).toBe(10);
    expect(problems({ ERASE_BATCH_ROWS: '0' })[0]).toMatch(/^ERASE_BATCH_ROWS="0"/);
    expect(problems({ ERASE_BATCH_ROWS: '100001' })[0]).toMatch(/^ERASE_BATCH_ROWS="100001"/);
  });
});

describe('retention configuration', () => {
  it('keeps everything, uncompressed, by default', () => {
    const config = loadConfig({});
    expect([config.RETAIN_EPOCHS_DAYS, config.RETAIN_PREDICTIONS_DAYS, config.COMPRESS_AFTER_DAYS]).toEqual([undefined, undefined, undefined]);
    expect(config.RETENTION_INTERVAL_SECONDS).toBe(3600);
    expect(config.RETENTION_BATCH_ROWS).toBe(10000);
  });

  it('takes whole days of at least 1', () => {
    expect(loadConfig({ RETAIN_EPOCHS_DAYS: '90', RETAIN_PREDICTIONS_DAYS: '60', COMPRESS_AFTER_DAYS: '7' })).toMatchObject({ RETAIN_EPOCHS_DAYS: 90, RETAIN_PREDICTIONS_DAYS: 60, COMPRESS_AFTER_DAYS: 7 });
    const found = problems({ RETAIN_EPOCHS_DAYS: '0', RETAIN_PREDICTIONS_DAYS: '1.5', COMPRESS_AFTER_DAYS: 'soon' });
    expect(found.map((p) => p.split('=')[0])).toEqual(['RETAIN_EPOCHS_DAYS', 'RETAIN_PREDICTIONS_DAYS', 'COMPRESS_AFTER_DAYS']);
  });

  it('refuses compression at or after a retention age, naming it', () => {
    const found = problems({ RETAIN_EPOCHS_DAYS: '30', RETAIN_PREDICTIONS_DAYS: '10', COMPRESS_AFTER_DAYS: '10' });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('COMPRESS_AFTER_DAYS="10"');
    expect(found[0]).toContain('RETAIN_PREDICTIONS_DAYS (10)');
    expect(problems({ RETAIN_EPOCHS_DAYS: '30', COMPRESS_AFTER_DAYS: '7' })).toEqual([]);
    expect(problems({ COMPRESS_AFTER_DAYS: '7' })).toEqual([]);
  });
});

describe('webhook configuration', () => {
  it('has defaults for retries, timeouts and links, and no key', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ WEBHOOK_ALLOW_PRIVATE: false, WEBHOOK_RETRY_SECONDS: 86400, WEBHOOK_BACKOFF_MS: 1000, WEBHOOK_TIMEOUT_MS: 10000, WEBHOOK_DISABLE_AFTER_SECONDS: 86400, PUBLIC_BASE_URL: 'http://127.0.0.1:8000' });
    expect(config.WEBHOOK_SECRET_KEY).toBeUndefined();
  });

  it('takes a 32-byte key as hex or base64 and never echoes a bad one', () => {
    expect(loadConfig({ WEBHOOK_SECRET_KEY: 'ab'.repeat(32) }).WEBHOOK_SECRET_KEY).toBe('ab'.repeat(32));
    expect(loadConfig({ WEBHOOK_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') }).WEBHOOK_SECRET_KEY).toBeDefined();
    const found = problems({ WEBHOOK_SECRET_KEY: 'too-short-secret-value' });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^WEBHOOK_SECRET_KEY: /);
    expect(found[0]).not.toContain('too-short-secret-value');
  });

  it('takes WEBHOOK_ALLOW_PRIVATE as true or false only, and PUBLIC_BASE_URL as http(s)', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }).WEBHOOK_ALLOW_PRIVATE).toBe(true);
    expect(problems({ WEBHOOK_ALLOW_PRIVATE: 'yes', PUBLIC_BASE_URL: 'ftp://x' }).map((p) => p.split(/[=:]/)[0])).toEqual(['PUBLIC_BASE_URL', 'WEBHOOK_ALLOW_PRIVATE']);
  });
});
