// Errors of the night statistics over recordings, accumulated one recording at a time so a model
// evaluation never keeps more than running sums. Pure.
import { SCALAR_STATISTICS } from './evaluation.night.js';
import type { NightErrors, NightStatistics, StatisticError } from './evaluation.schemas.js';

class Sums {
  private n = 0;
  private absolute = 0;
  private signed = 0;

  add(difference: number | null): void {
    if (difference === null) return;
    this.n++;
    this.absolute += Math.abs(difference);
    this.signed += difference;
  }

  result(): StatisticError {
    const n = this.n;
    return { n, mae: n === 0 ? null : this.absolute / n, mean_signed_error: n === 0 ? null : this.signed / n };
  }
}

/** Mean absolute and mean signed error (predicted − labels) of each statistic over recordings. */
export class NightErrorAccumulator {
  private readonly scalars = new Map(SCALAR_STATISTICS.map((key) => [key, new Sums()]));
  private readonly stages: Map<string, Sums>;

  constructor(labels: readonly string[]) {
    this.stages = new Map(labels.map((label) => [label, new Sums()]));
  }

  /** One recording's differences; null (no comparable night) counts nowhere. */
  add(difference: NightStatistics | null): void {
    if (difference === null) return;
    for (const key of SCALAR_STATISTICS) this.scalars.get(key)!.add(difference[key]);
    for (const [label, sums] of this.stages) sums.add(difference.stage_minutes[label] ?? null);
  }

  result(): NightErrors {
    const of = (key: (typeof SCALAR_STATISTICS)[number]) => this.scalars.get(key)!.result();
    return {
      tst_min: of('tst_min'),
      waso_min: of('waso_min'),
      sol_min: of('sol_min'),
      se_pct: of('se_pct'),
      spt_min: of('spt_min'),
      rem_latency_min: of('rem_latency_min'),
      stage_minutes: Object.fromEntries([...this.stages].map(([label, sums]) => [label, sums.result()])),
    };
  }
}
