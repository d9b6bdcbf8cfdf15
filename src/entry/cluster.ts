import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';
import { RestartPolicy } from './restart-policy.js';

const REQUEST = 'noctis:metrics-request';
const RESPONSE = 'noctis:metrics-response';

interface MetricsMessage {
  type: string;
  id: string;
  text?: string;
  error?: string;
}

/**
 * The primary of a WEB_CONCURRENCY cluster: forks the API processes, answers their requests for
 * cluster-wide metrics, restarts one that dies after the policy's backoff, and exits 1 (after
 * stopping the rest) when they keep dying. On SIGTERM/SIGINT it stops them and exits 0 once all
 * have drained; a second signal exits 1 at once.
 */
export function runPrimary(processes: number, logger: Logger, policy = new RestartPolicy()): void {
  const aggregator = new AggregatorRegistry();
  const restarts = new Set<NodeJS.Timeout>();
  // Set once stopping: the code to exit with when the last process is gone.
  let exitCode: number | null = null;
  const alive = () => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
  const fork = () => {
    const worker = cluster.fork();
    logger.info({ child_pid: worker.process.pid }, 'API process started');
    worker.on('message', (message: MetricsMessage) => {
      if (message?.type !== REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: RESPONSE, id: message.id, text }),
        (err: Error) => worker.send({ type: RESPONSE, id: message.id, error: err.message }),
      );
    });
  };
  const stop = (code: number, signal: NodeJS.Signals) => {
    exitCode = code;
    // A restart still waiting out its backoff must not fork after the stop.
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    const workers = alive();
    for (const worker of workers) worker.process.kill(signal);
    if (workers.length === 0) process.exit(code);
  };
  for (let i = 0; i < processes; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (exitCode !== null) {
      if (alive().length === 0) process.exit(exitCode);
      return;
    }
    const died = { child_pid: worker.process.pid, code, signal };
    const decision = policy.crashed(Date.now());
    if (decision.action === 'give-up') {
      logger.fatal({ ...died, crashes: decision.crashesInWindow }, 'API processes keep dying; stopping the cluster');
      stop(1, 'SIGTERM');
      return;
    }
    logger.error({ ...died, delayMs: decision.delayMs, crashes: decision.crashesInWindow }, 'API process died; starting another after a delay');
    const timer = setTimeout(() => {
      restarts.delete(timer);
      fork();
    }, decision.delayMs);
    restarts.add(timer);
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (exitCode !== null) process.exit(1);
    logger.info({ signal }, 'stopping API processes');
    stop(0, signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** In a cluster worker: what this process contributes when the primary aggregates. */
export function shareRegistry(registry: Registry): void {
  // Constructing one installs prom-client's listener that answers the primary's requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** In a cluster worker: a /metrics source that asks the primary for the whole cluster's metrics. */
export function clusterMetricsSource(timeoutMs = 5000): () => Promise<string> {
  const pending = new Map<string, (m: MetricsMessage) => void>();
  process.on('message', (message: MetricsMessage) => {
    if (message?.type === RESPONSE) pending.get(message.id)?.(message);
  });
  return () => {
    return new Promise((resolve, reject) => {
      const id = randomUUID();
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error('cluster metrics timed out'));
      }, timeoutMs);
      pending.set(id, (m) => {
        clearTimeout(timer);
        pending.delete(id);
        if (m.error !== undefined) reject(new Error(m.error));
        else resolve(m.text ?? '');
      });
      process.send?.({ type: REQUEST, id });
    });
  };
}

export const isClusterPrimary = (): boolean => cluster.isPrimary;
