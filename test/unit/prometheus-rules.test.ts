import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { REPO_ROOT } from '../helpers/services.js';

const RULES_DIR = path.join(REPO_ROOT, 'ops/prometheus');
const run = promisify(execFile);
// Registered at app start (they need queues, a pool, a database), named here by hand.
const RUNTIME_GAUGES = ['noctis_queue_jobs', 'noctis_db_pool_connections', 'noctis_job_oldest_unfinished_age_seconds'];

async function promtool(): Promise<string | null> {
  try {
    await run('promtool', ['--version']);
    return 'promtool';
  } catch {
    return null;
  }
}
const found = await promtool();
// CI installs Debian's prometheus package (.ci/run), so there a missing promtool is a failure, not a skip.
const required = process.env['CI'] === 'true';

describe('the example Prometheus alert rules (ops/prometheus/alerts.yml)', () => {
  it('query only metrics the app exports', async () => {
    const text = readFileSync(path.join(RULES_DIR, 'alerts.yml'), 'utf8');
    const exported = new Set([...(await createMetrics('test').registry.getMetricsAsJSON()).map((m) => m.name), ...RUNTIME_GAUGES]);
    const used = new Set(text.match(/\bnoctis_[a-z0-9_]+/g) ?? []);
    const base = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
    expect(used.size).toBeGreaterThanOrEqual(2);
    expect([...used].filter((name) => !exported.has(name) && !exported.has(base(name)))).toEqual([]);
  });

  it('has promtool where CI needs it', () => {
    if (required) expect(found, 'promtool (Debian package prometheus) is not installed').not.toBeNull();
  });

  it.skipIf(found === null)('pass promtool check rules', async () => {
    const { stdout } = await run(found!, ['check', 'rules', 'alerts.yml'], { cwd: RULES_DIR });
    expect(stdout).toContain('SUCCESS');
  });

  it.skipIf(found === null)('fire on the series they are meant for and stay quiet otherwise (promtool test rules)', async () => {
    const { stdout } = await run(found!, ['test', 'rules', 'alerts.test.yml'], { cwd: RULES_DIR });
    expect(stdout).toContain('SUCCESS');
  });

  it.skipIf(found === null)('and promtool would catch a broken rule', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(path.join(tmpdir(), 'noctis-rules-'));
    try {
      await writeFile(path.join(dir, 'bad.yml'), 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum by (type (noctis_job_wait_seconds_count)\n');
      await expect(run(found!, ['check', 'rules', 'bad.yml'], { cwd: dir })).rejects.toThrow(/parse error|FAILED/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
