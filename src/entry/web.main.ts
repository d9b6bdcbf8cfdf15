import type { TracingHandle } from '../tracing/tracing.bootstrap.js';
import { createLogger } from '../logging/logger.js';
import { clusterMetricsSource, isClusterPrimary, runPrimary, shareRegistry } from './cluster.js';
import { configOrExit, runApp } from './run.js';

// WEB_CONCURRENCY > 1 runs that many API processes on one port (node:cluster), like gunicorn
// workers; /metrics in any of them answers for the whole cluster. Each forked process runs
// web.ts again, so it starts its own tracing.
export async function main(tracing: TracingHandle): Promise<void> {
  const config = configOrExit();
  if (config.WEB_CONCURRENCY > 1 && isClusterPrimary()) {
    runPrimary(config.WEB_CONCURRENCY, createLogger(config.LOG_LEVEL, { role: 'web-primary', pid: process.pid }));
  } else if (config.WEB_CONCURRENCY > 1) {
    await runApp(config, { web: true, worker: false }, undefined, {
      tracing,
      metricsText: clusterMetricsSource(),
      onCreated: (app) => shareRegistry(app.ctx.metrics.registry),
    });
  } else {
    await runApp(config, { web: true, worker: false }, undefined, { tracing });
  }
}
