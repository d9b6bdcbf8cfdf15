// Pure sleep statistics of one hypnogram, following YASA's `sleep_statistics`: sleep is any class
// other than W; epochs marked UNSCORED (missing) are neither sleep nor wake but still take time.
//
// - TIB: every epoch, unscored included. SOL: epochs before the first sleep epoch.
// - SPT: first to last sleep epoch inclusive; WASO: W inside SPT; TST: sleep inside SPT (so
//   TST + WASO + unscored-inside-SPT = SPT).
// - SOL 5 min: start of the first run of at least 5 minutes of uninterrupted sleep.
// - Stage latencies count from the first epoch of the hypnogram; the REM latency from sleep onset.
// - Awakenings: sleep → W transitions whose W epoch lies inside SPT (the final awakening is not one).
// - Transitions: consecutive epoch pairs where both are scored (a gap tells nothing), row = from.
// Undefined values (no sleep, a class never seen) are null, never NaN.

export const UNSCORED = -1;
export const WAKE = 'W';

/** Classes that are NREM sleep, whatever the label map's resolution. */
const NREM_CLASSES: ReadonlySet<string> = new Set(['N1', 'N2', 'N3', 'LIGHT', 'DEEP', 'NREM']);
/** A label map "splits" NREM when it has a finer class than NREM itself. */
const NREM_SPLITS: ReadonlySet<string> = new Set(['N1', 'N2', 'N3', 'LIGHT', 'DEEP']);

const PERSISTENT_SLEEP_SECONDS = 5 * 60;

export interface HypnogramInput {
  /** Class names of the model's label map; must include W. */
  readonly labels: readonly string[];
  /** One class index per epoch, UNSCORED for an epoch with no stage. */
  readonly classes: ArrayLike<number>;
  readonly epochSeconds: number;
}

export interface StageStatistics {
  readonly minutes: number;
  /** 100 · minutes / TST for sleep classes; null for W or when TST is 0. */
  readonly pctTst: number | null;
  /** First epoch of the class, from the start of the hypnogram; null when absent. */
  readonly latencyMin: number | null;
}

export interface Transitions {
  readonly labels: readonly string[];
  /** counts[from][to] over consecutive scored epochs. */
  readonly counts: number[][];
  /** counts normalised per row; a row with no transitions is all null. */
  readonly probabilities: (number | null)[][];
}

export interface SleepStatistics {
  readonly epochs: number;
  readonly tibMin: number;
  readonly sptMin: number;
  readonly wasoMin: number;
  readonly tstMin: number;
  readonly solMin: number | null;
  readonly sol5MinMin: number | null;
  readonly sePct: number | null;
  readonly smePct: number | null;
  readonly unscoredMin: number;
  /** REM latency from sleep onset (AASM); null without a REM class, REM or sleep. */
  readonly remLatencyMin: number | null;
  readonly stages: ReadonlyMap<string, StageStatistics>;
  /** Totals over the NREM classes when the label map splits NREM; null otherwise. */
  readonly nrem: StageStatistics | null;
  readonly awakenings: number;
  readonly sfiPerHour: number | null;
  readonly transitions: Transitions;
}

function checkInput({ labels, classes, epochSeconds }: HypnogramInput): number {
  const wake = labels.indexOf(WAKE);
  if (wake < 0) throw new Error(`the label map [${labels.join(', ')}] has no wake class W`);
  if (!(epochSeconds > 0)) throw new Error(`epochSeconds must be positive, got ${epochSeconds}`);
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i]!;
    if (c !== UNSCORED && !(Number.isInteger(c) && c >= 0 && c < labels.length)) {
      throw new Error(`classes[${i}] = ${c} is neither a class index in [0, ${labels.length}) nor UNSCORED`);
    }
  }
  return wake;
}

export function sleepStatistics(input: HypnogramInput): SleepStatistics {
  const wake = checkInput(input);
  const { labels, classes, epochSeconds } = input;
  const n = classes.length;
  const k = labels.length;
  const minutes = (epochs: number) => (epochs * epochSeconds) / 60;
  const isSleep = (c: number) => c !== UNSCORED && c !== wake;

  const perClass = new Array<number>(k).fill(0);
  const firstOf = new Array<number>(k).fill(-1);
  let unscored = 0;
  let firstSleep = -1;
  let lastSleep = -1;
  let persistentStart = -1;
  let runStart = -1;
  const persistentEpochs = Math.ceil(PERSISTENT_SLEEP_SECONDS / epochSeconds);
  for (let i = 0; i < n; i++) {
    const c = classes[i]!;
    if (c === UNSCORED) unscored++;
    else {
      perClass[c]!++;
      if (firstOf[c] === -1) firstOf[c] = i;
    }
    if (isSleep(c)) {
      if (firstSleep < 0) firstSleep = i;
      lastSleep = i;
      if (runStart < 0) runStart = i;
      if (persistentStart < 0 && i - runStart + 1 >= persistentEpochs) persistentStart = runStart;
    } else runStart = -1;
  }

  const hasSleep = firstSleep >= 0;
  const sptEpochs = hasSleep ? lastSleep - firstSleep + 1 : 0;
  let wasoEpochs = 0;
  let tstEpochs = 0;
  let awakenings = 0;
  for (let i = firstSleep; hasSleep && i <= lastSleep; i++) {
    const c = classes[i]!;
    if (c === wake) {
      wasoEpochs++;
      if (i > firstSleep && isSleep(classes[i - 1]!)) awakenings++;
    } else if (c !== UNSCORED) tstEpochs++;
  }
  const tstMin = minutes(tstEpochs);

  const stages = new Map<string, StageStatistics>();
  labels.forEach((label, c) => {
    const m = minutes(perClass[c]!);
    stages.set(label, {
      minutes: m,
      pctTst: c !== wake && tstEpochs > 0 ? (100 * m) / tstMin : null,
      latencyMin: firstOf[c]! < 0 ? null : minutes(firstOf[c]!),
    });
  });

  const rem = labels.indexOf('REM');
  const remLatencyMin = rem >= 0 && hasSleep && firstOf[rem]! >= 0 ? minutes(firstOf[rem]! - firstSleep) : null;

  return {
    epochs: n,
    tibMin: minutes(n),
    sptMin: minutes(sptEpochs),
    wasoMin: minutes(wasoEpochs),
    tstMin,
    solMin: hasSleep ? minutes(firstSleep) : null,
    sol5MinMin: persistentStart >= 0 ? minutes(persistentStart) : null,
    sePct: n > 0 ? (100 * tstEpochs) / n : null,
    smePct: sptEpochs > 0 ? (100 * tstEpochs) / sptEpochs : null,
    unscoredMin: minutes(unscored),
    remLatencyMin,
    stages,
    nrem: nremTotals(labels, perClass, firstOf, tstEpochs, minutes),
    awakenings,
    sfiPerHour: tstEpochs > 0 ? awakenings / (tstMin / 60) : null,
    transitions: transitions(labels, classes),
  };
}

function nremTotals(
  labels: readonly string[],
  perClass: readonly number[],
  firstOf: readonly number[],
  tstEpochs: number,
  minutes: (epochs: number) => number,
): StageStatistics | null {
  if (!labels.some((l) => NREM_SPLITS.has(l))) return null;
  let epochs = 0;
  let first = -1;
  labels.forEach((label, c) => {
    if (!NREM_CLASSES.has(label)) return;
    epochs += perClass[c]!;
    if (firstOf[c]! >= 0 && (first < 0 || firstOf[c]! < first)) first = firstOf[c]!;
  });
  return {
    minutes: minutes(epochs),
    pctTst: tstEpochs > 0 ? (100 * epochs) / tstEpochs : null,
    latencyMin: first < 0 ? null : minutes(first),
  };
}

export function transitions(labels: readonly string[], classes: ArrayLike<number>): Transitions {
  const k = labels.length;
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 1; i < classes.length; i++) {
    const from = classes[i - 1]!;
    const to = classes[i]!;
    if (from !== UNSCORED && to !== UNSCORED) counts[from]![to]!++;
  }
  const probabilities = counts.map((row) => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((v) => (total === 0 ? null : v / total));
  });
  return { labels: [...labels], counts, probabilities };
}
