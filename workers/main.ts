import { configOrExit, runApp } from '../src/entry/run.js';

// A worker process: queue processors, the sweeper, and probes/metrics on METRICS_PORT when set.
const config = configOrExit();
await runApp(config, { web: false, worker: true }, config.METRICS_PORT);
