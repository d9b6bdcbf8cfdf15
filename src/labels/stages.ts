// Ground-truth stages as scored (AASM names) and how they map onto a model's classes. Pure.

export const TRUTH_STAGES = ['W', 'N1', 'N2', 'N3', 'REM'] as const;
export type TruthStage = (typeof TRUTH_STAGES)[number];

/** Accepted spellings of a scored stage: the AASM names, and `R` for REM as in scoring exports. */
export function parseTruthStage(value: string): TruthStage | null {
  if (value === 'R') return 'REM';
  return (TRUTH_STAGES as readonly string[]).includes(value) ? (value as TruthStage) : null;
}

/** Candidate model classes of each scored stage, most specific first. */
const TARGETS: Readonly<Record<TruthStage, readonly string[]>> = {
  W: ['W'],
  N1: ['N1', 'LIGHT', 'NREM', 'SLEEP'],
  N2: ['N2', 'LIGHT', 'NREM', 'SLEEP'],
  N3: ['N3', 'DEEP', 'NREM', 'SLEEP'],
  REM: ['REM', 'SLEEP'],
};

/**
 * The class index a scored stage takes in a model's label map (N1/N2/N3 → NREM, N1/N2 → LIGHT,
 * N3 → DEEP, non-W → SLEEP), or -1 when the label map has no class for it.
 */
export function truthClassIndex(stage: TruthStage, labels: readonly string[]): number {
  for (const target of TARGETS[stage]) {
    const index = labels.indexOf(target);
    if (index >= 0) return index;
  }
  return -1;
}
