import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type RegistryContentType } from 'prom-client';

export type Metrics = ReturnType<typeof createMetrics>;

export interface MetricsOptions {
  /**
   * OpenMetrics exposition with trace-id exemplars on the wait histogram. Opt-in: it changes the
   * /metrics content type and format (counters lose nothing, but the text ends with `# EOF` and
   * scrapers must ask for OpenMetrics to see exemplars).
   */
  readonly exemplars?: boolean;
}

/** One registry per app instance: no prom-client global state, so tests can build many apps. */
export function createMetrics(role: string, options: MetricsOptions = {}) {
  const exemplars = options.exemplars === true;
  const registry = new Registry();
  // prom-client's types fix a registry's content type at construction, which its constructor does
  // not take; the exposition format is what setContentType does at run time.
  if (exemplars) (registry as Registry<RegistryContentType>).setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  registry.setDefaultLabels({ role });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    exemplars,
    httpDuration: new Histogram({
      name: 'noctis_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: 'noctis_job_duration_seconds',
      help: 'Job processing time per queue and outcome',
      labelNames: ['queue', 'outcome'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    // What a client waits for: from the accept (jobs.created_at, the 202) to the job's completion,
    // queueing, retries, postponements and night-scoring debounce included. Processing time alone
    // is noctis_job_duration_seconds.
    jobWait: new Histogram({
      name: 'noctis_job_wait_seconds',
      help: 'Time from accept (the 202) to the job finishing, per job type and outcome',
      labelNames: ['type', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      enableExemplars: exemplars,
      registers: [registry],
    }),
    epochsIngested: new Counter({
      name: 'noctis_epochs_ingested_total',
      help: 'Epochs newly stored by ingest jobs',
      registers: [registry],
    }),
    epochsDuplicate: new Counter({
      name: 'noctis_epochs_duplicate_total',
      help: 'Epochs skipped by ingest jobs because they were already stored',
      registers: [registry],
    }),
    predictionsWritten: new Counter({
      name: 'noctis_predictions_written_total',
      help: 'Predictions stored, by model version',
      labelNames: ['model_version'] as const,
      registers: [registry],
    }),
    scoringBatchSize: new Histogram({
      name: 'noctis_scoring_batch_epochs',
      help: 'Epochs per scoring batch',
      buckets: [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000],
      registers: [registry],
    }),
    // Key lookups by outcome (`throttled`: refused before any lookup), so a flood of invalid
    // tokens shows up, and how much of it reached the database.
    authKeyChecks: new Counter({
      name: 'noctis_auth_key_checks_total',
      help: 'API key checks by outcome: valid, invalid (looked up, not found), throttled (refused before lookup)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    // Per attempt: delivered (2xx), failed (will be retried or was the last), refused (private
    // target), skipped (endpoint deleted or disabled, event gone). No endpoint or tenant labels.
    webhookDeliveries: new Counter({
      name: 'noctis_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered, failed, refused, skipped',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'noctis_rate_limited_total',
      help: 'Requests refused with 429 by the limit that refused them (key, tenant)',
      labelNames: ['limit'] as const,
      registers: [registry],
    }),
    activeModel: new Gauge({
      name: 'noctis_active_model_info',
      // Across cluster workers: one series per version at 1, not the number of processes.
      aggregator: 'max',
      help: 'The active model version of this process (value 1)',
      labelNames: ['model_version'] as const,
      registers: [registry],
    }),
  };
}

/** Marks `version` as the only active model version on the info gauge. */
export function setActiveModel(metrics: Metrics, version: string | null): void {
  metrics.activeModel.reset();
  if (version) metrics.activeModel.set({ model_version: version }, 1);
}
