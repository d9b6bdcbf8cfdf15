// Which version is active when ACTIVE_MODEL_VERSION is unset. Per-epoch kappa alone rewards models
// whose nights read wrong (e.g. REM minutes off by an hour), so the rule also charges the
// night-statistics errors users read, all from the cross-validation in metadata.json:
//
//   score = W/NREM/REM pooled kappa − 0.005 × mean(TST MAE, WASO MAE, REM-minutes MAE)   (minutes)
//
// 0.005 per minute: 10 minutes of mean night error cost as much as 0.05 kappa. A version without
// those figures ranks after every version with them (among such versions: higher pooled kappa of
// its own classes first). Ties go to the version whose name sorts first.

export const MINUTE_PENALTY = 0.005;

export interface VersionMetadata {
  readonly version: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}

function at(value: unknown, ...path: string[]): unknown {
  let v = value;
  for (const key of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The rule's score, or null when the metadata lacks a figure it needs. */
export function defaultVersionScore(metadata: Readonly<Record<string, unknown>>): number | null {
  const evaluation = metadata['evaluation'];
  const kappa = finite(at(evaluation, 'kappa', 'w_nrem_rem', 'pooled'));
  const errors = ['tst_min', 'waso_min', 'minutes_REM'].map((key) => finite(at(evaluation, 'night_statistics', 'metrics', key, 'mae')));
  if (kappa === null || errors.some((e) => e === null)) return null;
  const meanError = (errors as number[]).reduce((s, e) => s + e, 0) / errors.length;
  return kappa - MINUTE_PENALTY * meanError;
}

/** The default active version among `models`; undefined when there are none. */
export function pickDefaultVersion(models: Iterable<VersionMetadata>): string | undefined {
  const ranked = [...models].map((m) => ({
    version: m.version,
    score: defaultVersionScore(m.metadata),
    kappa: finite(at(m.metadata['evaluation'], 'cohen_kappa')) ?? -Infinity,
  }));
  ranked.sort((a, b) => {
    if ((a.score === null) !== (b.score === null)) return a.score === null ? 1 : -1;
    const byScore = a.score !== null && b.score !== null ? b.score - a.score : b.kappa - a.kappa;
    if (byScore !== 0) return byScore;
    return a.version < b.version ? -1 : a.version > b.version ? 1 : 0;
  });
  return ranked[0]?.version;
}
