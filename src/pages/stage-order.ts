/** Conventional hypnogram order, top to bottom: wake, REM, then NREM from light to deep. */
const DISPLAY_ORDER = ['W', 'REM', 'SLEEP', 'NREM', 'N1', 'LIGHT', 'N2', 'N3', 'DEEP'];

/** The model's labels in display order (unknown names last, in label-map order). */
export function displayOrder(labels: readonly string[]): string[] {
  const rank = (l: string) => {
    const r = DISPLAY_ORDER.indexOf(l);
    return r < 0 ? DISPLAY_ORDER.length : r;
  };
  return [...labels].sort((a, b) => rank(a) - rank(b));
}
