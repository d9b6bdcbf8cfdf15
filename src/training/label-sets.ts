// Mapping of AASM polysomnography stages onto the label sets a model can predict.

/** Stage codes as they appear in the sleep-accel CSV `stage` column, in code order. */
export const AASM_STAGES = ['W', 'N1', 'N2', 'N3', 'R'] as const;
export type AasmStage = (typeof AASM_STAGES)[number];

/** Canonical class names allowed in a model's label_map.json. */
export const CANONICAL_CLASSES = ['W', 'N1', 'N2', 'N3', 'REM', 'NREM', 'LIGHT', 'DEEP', 'SLEEP'] as const;
export type CanonicalClass = (typeof CANONICAL_CLASSES)[number];

export interface LabelSet {
  readonly name: LabelSetName;
  readonly description: string;
  /** Class index -> canonical name. */
  readonly classes: readonly CanonicalClass[];
  /** AASM code index (position in AASM_STAGES) -> class index. */
  readonly fromAasm: readonly number[];
}

export const LABEL_SET_NAMES = ['wnr', 'ws', 'wldr', 'aasm'] as const;
export type LabelSetName = (typeof LABEL_SET_NAMES)[number];

export const LABEL_SETS: Readonly<Record<LabelSetName, LabelSet>> = {
  wnr: {
    name: 'wnr',
    description: 'W/NREM/REM (N1, N2, N3 -> NREM)',
    classes: ['W', 'NREM', 'REM'],
    fromAasm: [0, 1, 1, 1, 2],
  },
  ws: {
    name: 'ws',
    description: 'W/SLEEP (N1, N2, N3, R -> SLEEP)',
    classes: ['W', 'SLEEP'],
    fromAasm: [0, 1, 1, 1, 1],
  },
  wldr: {
    name: 'wldr',
    description: 'W/LIGHT/DEEP/REM (N1, N2 -> LIGHT; N3 -> DEEP)',
    classes: ['W', 'LIGHT', 'DEEP', 'REM'],
    fromAasm: [0, 1, 1, 2, 3],
  },
  aasm: {
    name: 'aasm',
    description: 'W/N1/N2/N3/REM (AASM stages as scored)',
    classes: ['W', 'N1', 'N2', 'N3', 'REM'],
    fromAasm: [0, 1, 2, 3, 4],
  },
};

export function isLabelSetName(s: string): s is LabelSetName {
  return (LABEL_SET_NAMES as readonly string[]).includes(s);
}

/** Parse a CSV stage string to its AASM code index; throws on anything else. */
export function aasmCode(stage: string): number {
  const idx = (AASM_STAGES as readonly string[]).indexOf(stage);
  if (idx < 0) throw new Error(`unknown stage "${stage}" (expected one of ${AASM_STAGES.join(', ')})`);
  return idx;
}

/** Map AASM code indices to class indices of the given label set. */
export function mapStages(aasmCodes: ArrayLike<number>, set: LabelSet): Uint8Array {
  const out = new Uint8Array(aasmCodes.length);
  for (let i = 0; i < aasmCodes.length; i++) {
    const cls = set.fromAasm[aasmCodes[i]!];
    if (cls === undefined) throw new Error(`invalid AASM code ${aasmCodes[i]} at ${i}`);
    out[i] = cls;
  }
  return out;
}

/** label_map.json content: {"0": "W", "1": "NREM", ...}. */
export function labelMapJson(set: LabelSet): Record<string, CanonicalClass> {
  const out: Record<string, CanonicalClass> = {};
  set.classes.forEach((c, i) => {
    out[String(i)] = c;
  });
  return out;
}
