import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/metrics/metrics.js';
import { REPO_ROOT } from '../helpers/services.js';

// Gauges registered at app start (they need queues and a pool), named here by hand.
const RUNTIME_GAUGES = ['noctis_queue_jobs', 'noctis_db_pool_connections', 'noctis_job_oldest_unfinished_age_seconds'];

describe('the Grafana dashboard', () => {
  it('queries only metrics the app exports', async () => {
    const dashboard = JSON.parse(readFileSync(path.join(REPO_ROOT, 'ops/grafana/noctis-dashboard.json'), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> };
    const exported = new Set([...(await createMetrics('test').registry.getMetricsAsJSON()).map((m) => m.name), ...RUNTIME_GAUGES]);
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\b(noctis|process|nodejs)_[a-z0-9_]+/g) ?? [])));
    const base = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
    expect(used.size).toBeGreaterThan(8);
    expect([...used].filter((name) => !exported.has(name) && !exported.has(base(name)))).toEqual([]);
  });
});
