// A hypnogram as runs of one stage, the form of Fitbit's sleep `levels`: `segments` are the runs
// (`levels.data`) with short wakes inside sleep folded into the stage before them, and the short
// wakes are listed on their own (`levels.shortData`). Pure; no I/O.
import { UNSCORED, WAKE } from '../summary/sleep-statistics.js';

export interface Segment {
  /** ISO start of the run. */
  readonly start: string;
  /** A class of the model, or null for unscored epochs (gaps, epochs the version has not scored). */
  readonly stage: string | null;
  readonly seconds: number;
}

export interface ShortWake {
  readonly start: string;
  readonly seconds: number;
}

export interface SegmentsInput {
  readonly labels: readonly string[];
  /** One class index per epoch slot, UNSCORED where there is no stage. */
  readonly classes: ArrayLike<number>;
  /** Start of the first slot (ms since the epoch). */
  readonly startMs: number;
  readonly epochSeconds: number;
  /** Wake runs no longer than this, between two sleep runs, are short wakes. */
  readonly shortWakeMaxSeconds: number;
}

interface Run {
  readonly cls: number;
  readonly first: number;
  readonly length: number;
}

function runsOf(classes: ArrayLike<number>): Run[] {
  const runs: Run[] = [];
  let first = 0;
  for (let i = 1; i <= classes.length; i++) {
    if (i === classes.length || classes[i] !== classes[first]) {
      runs.push({ cls: classes[first]!, first, length: i - first });
      first = i;
    }
  }
  return runs;
}

export function hypnogramSegments(input: SegmentsInput): { segments: Segment[]; shortWakes: ShortWake[] } {
  const { labels, classes, startMs, epochSeconds, shortWakeMaxSeconds } = input;
  const wake = labels.indexOf(WAKE);
  const isSleep = (cls: number | undefined) => cls !== undefined && cls !== UNSCORED && cls !== wake;
  const at = (slot: number) => new Date(startMs + slot * epochSeconds * 1000).toISOString();
  const runs = runsOf(classes);
  const segments: Array<{ start: string; stage: string | null; seconds: number }> = [];
  const shortWakes: ShortWake[] = [];
  runs.forEach((run, k) => {
    const seconds = run.length * epochSeconds;
    const last = segments[segments.length - 1];
    if (run.cls === wake && seconds <= shortWakeMaxSeconds && isSleep(runs[k - 1]?.cls) && isSleep(runs[k + 1]?.cls)) {
      shortWakes.push({ start: at(run.first), seconds });
      last!.seconds += seconds;
      return;
    }
    const stage = run.cls === UNSCORED ? null : labels[run.cls]!;
    // After a fold the next run may continue the stage before the wake: one segment then.
    if (last && last.stage === stage) last.seconds += seconds;
    else segments.push({ start: at(run.first), stage, seconds });
  });
  return { segments, shortWakes };
}
