import type { TracingHandle } from '../src/tracing/tracing.bootstrap.js';
import { configOrExit, runApp } from '../src/entry/run.js';

// A worker process: queue processors, the sweeper, and probes/metrics on METRICS_PORT when set.
export async function main(tracing: TracingHandle): Promise<void> {
  const config = configOrExit();
  await runApp(config, { web: false, worker: true }, config.METRICS_PORT, { tracing });
}
