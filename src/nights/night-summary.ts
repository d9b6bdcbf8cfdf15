import type { Hypnogram } from '../summary/hypnogram.service.js';
import { sleepStatistics } from '../summary/sleep-statistics.js';
import { toSummaryResource, type SummaryResource } from '../summary/summary.resource.js';

/** The figures of one night and version that quality and trends read. */
export interface NightFigures {
  readonly tibMin: number;
  readonly unscoredMin: number;
  readonly tstMin: number;
  readonly wasoMin: number;
  readonly solMin: number | null;
  readonly sePct: number | null;
  readonly remLatencyMin: number | null;
  /** Minutes per class of the version's label map. */
  readonly stageMinutes: Readonly<Record<string, number>>;
}

export interface NightSummary {
  /** Exactly the JSON of GET /v1/recordings/{id}/summary (no range) for this version. */
  readonly summary: SummaryResource;
  readonly figures: NightFigures;
}

/** The same statistics code as the summary endpoint, so stored nights and the endpoint agree. */
export function summariseNight(hypnogram: Hypnogram): NightSummary {
  const stats = sleepStatistics({ labels: hypnogram.model.labels, classes: hypnogram.classes, epochSeconds: hypnogram.recording.epoch_seconds });
  return {
    summary: toSummaryResource(hypnogram, stats),
    figures: {
      tibMin: stats.tibMin,
      unscoredMin: stats.unscoredMin,
      tstMin: stats.tstMin,
      wasoMin: stats.wasoMin,
      solMin: stats.solMin,
      sePct: stats.sePct,
      remLatencyMin: stats.remLatencyMin,
      stageMinutes: Object.fromEntries([...stats.stages].map(([label, s]) => [label, s.minutes])),
    },
  };
}
