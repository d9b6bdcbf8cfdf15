import type { RecordingClock } from '../epochs/epochs.repository.js';
import { localDate } from './local-date.js';

/** Stored epochs of a recording: how many, and the first and last index. */
export interface EpochSpan {
  readonly count: number;
  readonly first: number;
  readonly last: number;
}

/** A recording's night, independent of any model version. */
export interface NightSpan {
  /** Local date in `timezone` of `end`: the day the data ends on (Fitbit's dateOfSleep). */
  readonly date: string;
  readonly timezone: string;
  readonly start: Date;
  /** End of the last stored epoch (exclusive). */
  readonly end: Date;
  /** Time in bed: first to last stored epoch, gaps included (the summary's tib_min). */
  readonly tibMin: number;
  readonly epochCount: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
}

export function nightSpan(recording: RecordingClock, span: EpochSpan, timezone: string): NightSpan {
  const startedMs = new Date(recording.started_at).getTime();
  const stepMs = recording.epoch_seconds * 1000;
  const end = new Date(startedMs + (span.last + 1) * stepMs);
  return {
    date: localDate(end, timezone),
    timezone,
    start: new Date(startedMs + span.first * stepMs),
    end,
    tibMin: ((span.last - span.first + 1) * recording.epoch_seconds) / 60,
    epochCount: span.count,
    firstIndex: span.first,
    lastIndex: span.last,
  };
}

export interface MainSleepKey {
  readonly tibMin: number;
  readonly start: Date;
  readonly recordingId: string;
}

/** The main sleep of a date is the longest time in bed; ties go to the earlier start, then the smaller id. */
export function compareForMainSleep(a: MainSleepKey, b: MainSleepKey): number {
  if (a.tibMin !== b.tibMin) return b.tibMin - a.tibMin;
  if (a.start.getTime() !== b.start.getTime()) return a.start.getTime() - b.start.getTime();
  return a.recordingId < b.recordingId ? -1 : a.recordingId > b.recordingId ? 1 : 0;
}
