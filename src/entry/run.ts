import { App, type AppOptions } from '../app.js';
import { ConfigError, type Config } from '../config/config.js';
import { createLogger } from '../logging/logger.js';
import type { TracingHandle } from '../tracing/tracing.bootstrap.js';
import { readConfigFromEnvironment } from './environment.js';

/** Reads configuration or exits 2 with every problem named. */
export function configOrExit(): Config {
  try {
    return readConfigFromEnvironment();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`noctis: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * Starts an App and wires signals: the first SIGTERM/SIGINT drains within the shutdown timeout
 * and exits 0, a second one forces exit 1.
 */
export async function runApp(
  config: Config,
  roles: AppOptions['roles'],
  probePort?: number,
  extra: Pick<AppOptions, 'metricsText'> & { onCreated?: (app: App) => void; tracing?: TracingHandle } = {},
): Promise<App> {
  const logger = createLogger(config.LOG_LEVEL, { role: roles.web && roles.worker ? 'all' : roles.web ? 'web' : 'worker', pid: process.pid });
  if (extra.tracing) logger.info({ tracing: extra.tracing.settings.enabled }, `tracing ${extra.tracing.settings.enabled ? 'on' : 'off'}: ${extra.tracing.settings.reason}`);
  // Spans still buffered are flushed after the app has stopped (its last spans included).
  const flush = () => extra.tracing?.shutdown() ?? Promise.resolve();
  const app = App.create({ config, roles, logger, readConfig: readConfigFromEnvironment, ...(probePort === undefined ? {} : { probePort }), ...(extra.metricsText ? { metricsText: extra.metricsText } : {}) });
  extra.onCreated?.(app);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'draining');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    timer.unref();
    app.stop().then(
      async () => {
        await flush();
        logger.info('stopped');
        process.exit(0);
      },
      async (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        await flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await app.start();
  } catch (err) {
    // A port in use, say: nothing may keep running half started (workers consuming, no probes).
    logger.error({ err }, 'could not start');
    await app.stop().catch(() => undefined);
    await flush();
    process.exit(1);
  }
  return app;
}
