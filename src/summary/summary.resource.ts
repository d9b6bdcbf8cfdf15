import { epochTime } from '../recordings/time-range.js';
import type { Hypnogram } from './hypnogram.service.js';
import type { SleepStatistics, StageStatistics } from './sleep-statistics.js';
import type { Summary } from './summary.schemas.js';

const stage = (s: StageStatistics) => ({ minutes: s.minutes, pct_tst: s.pctTst, latency_min: s.latencyMin });

/** The JSON of GET /v1/recordings/{id}/summary. */
export function toSummaryResource(h: Hypnogram, s: SleepStatistics): Summary {
  const { recording } = h;
  const started = new Date(recording.started_at);
  return {
    recording_id: recording.id,
    model_version: h.model.version,
    labels: [...h.model.labels],
    epoch_seconds: recording.epoch_seconds,
    start: epochTime(started, recording.epoch_seconds, h.firstIndex),
    end: epochTime(started, recording.epoch_seconds, h.lastIndex + 1),
    first_epoch_index: h.firstIndex,
    last_epoch_index: h.lastIndex,
    epochs: s.epochs,
    tib_min: s.tibMin,
    spt_min: s.sptMin,
    waso_min: s.wasoMin,
    tst_min: s.tstMin,
    sol_min: s.solMin,
    sol_5min_min: s.sol5MinMin,
    se_pct: s.sePct,
    sme_pct: s.smePct,
    unscored_min: s.unscoredMin,
    rem_latency_min: s.remLatencyMin,
    stages: Object.fromEntries([...s.stages].map(([label, v]) => [label, stage(v)])),
    nrem: s.nrem === null ? null : stage(s.nrem),
    awakenings: s.awakenings,
    sfi_per_hour: s.sfiPerHour,
    transitions: { labels: [...s.transitions.labels], counts: s.transitions.counts, probabilities: s.transitions.probabilities },
  };
}
export type SummaryResource = Summary;
