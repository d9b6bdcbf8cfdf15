/** Stage names a model's label map may use. */
export const CANONICAL_STAGES = ['W', 'N1', 'N2', 'N3', 'REM', 'NREM', 'LIGHT', 'DEEP', 'SLEEP'] as const;
export type CanonicalStage = (typeof CANONICAL_STAGES)[number];

export function isCanonicalStage(name: string): name is CanonicalStage {
  return (CANONICAL_STAGES as readonly string[]).includes(name);
}
