import { configOrExit, runApp } from './run.js';

await runApp(configOrExit(), { web: true, worker: false });
