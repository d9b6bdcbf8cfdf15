import type { AppContext } from '../app-context.js';
import { App } from '../app.js';
import type { CliRuntime } from './command.js';

/**
 * Runs `work` with an App context that serves nothing and processes no queue: the same database,
 * Redis, queues and model registry the API uses, so a command goes through the same services.
 */
export async function withAppContext<T>(runtime: CliRuntime, work: (ctx: AppContext) => Promise<T>): Promise<T> {
  const app = App.create({ config: runtime.config, roles: { web: false, worker: false }, logger: runtime.logger });
  try {
    await app.start();
    return await work(app.ctx);
  } finally {
    await app.stop();
  }
}
