import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { LabelValues } from 'prom-client';
import type { Metrics } from './metrics.js';

/** A finished job as the histogram needs it (jobs/jobs.repository.ts's FinishedJob). */
export interface JobWait {
  readonly type: string;
  readonly state: string;
  readonly waitSeconds: number;
}

/**
 * Records what clients waited for: accept to completion, per job type and outcome. Called after
 * the finishing transaction has committed, so a rolled-back finish is never counted. With
 * exemplars on, the active span's trace id rides along, so a slow bucket links to its trace.
 */
export function observeJobWait(metrics: Metrics, finished: JobWait | undefined | null): void {
  if (!finished) return;
  const labels = { type: finished.type, outcome: finished.state };
  if (!metrics.exemplars) {
    metrics.jobWait.observe(labels, finished.waitSeconds);
    return;
  }
  const span = trace.getActiveSpan()?.spanContext();
  const exemplarLabels = span && isSpanContextValid(span) ? { trace_id: span.traceId } : {};
  // prom-client types exemplar labels as the metric's own label names; exemplars have their own.
  metrics.jobWait.observe({ labels, value: finished.waitSeconds, exemplarLabels: exemplarLabels as unknown as LabelValues<'type' | 'outcome'> });
}
