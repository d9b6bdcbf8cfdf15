import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';

const REQUEST = 'noctis:metrics-request';
const RESPONSE = 'noctis:metrics-response';

interface MetricsMessage {
  type: string;
  id: string;
  text?: string;
  error?: string;
}

/**
 * The primary of a WEB_CONCURRENCY cluster: forks the API processes, re-forks one that dies,
 * answers their requests for cluster-wide metrics, and on SIGTERM/SIGINT stops them and exits 0
 * once all have drained.
 */
export function runPrimary(processes: number, logger: Logger): void {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: MetricsMessage) => {
      if (message?.type !== REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: RESPONSE, id: message.id, text }),
        (err: Error) => worker.send({ type: RESPONSE, id: message.id, error: err.message }),
      );
    });
  };
  for (let i = 0; i < processes; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'API process died; starting another');
    fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'stopping API processes');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
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
