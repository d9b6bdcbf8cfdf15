import { startTracing } from '../tracing/tracing.bootstrap.js';

// Tracing first, the application after it (a dynamic import): the instrumentations patch http,
// express, pg and ioredis as they load, and static imports would load them before this line ran.
const tracing = await startTracing(process.env);
const { main } = await import('./web.main.js');
await main(tracing);
