import { appendFileSync } from 'node:fs';

/** One measured figure, with the baseline measured in the same run and the target it is held to. */
export interface Figure {
  readonly bench: string;
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly value: number } | undefined;
  /** value / baseline (or baseline / value for lower-is-better figures), as the target reads it. */
  readonly ratio?: number | undefined;
  readonly target?: string | undefined;
  readonly met?: boolean | undefined;
  readonly note?: string | undefined;
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));

export function formatFigure(f: Figure): string {
  let line = `  ${f.name}: ${fmt(f.value)} ${f.unit}`;
  if (f.baseline) line += ` | baseline ${f.baseline.name}: ${fmt(f.baseline.value)} ${f.unit}`;
  if (f.ratio !== undefined) line += ` | ratio ${f.ratio.toFixed(2)}`;
  if (f.target) line += ` | target ${f.target}: ${f.met ? 'met' : 'MISSED'}`;
  if (f.note) line += ` (${f.note})`;
  return line;
}

/**
 * Prints each figure as it is recorded; when BENCH_RESULTS_FILE is set (by bench/run-all.ts) it
 * also appends one JSON line per figure there for RESULTS.md.
 */
export class Reporter {
  readonly figures: Figure[] = [];
  constructor(readonly bench: string) {
    process.stdout.write(`\n== ${bench}\n`);
  }

  add(figure: Omit<Figure, 'bench'>): void {
    const full: Figure = { bench: this.bench, ...figure };
    this.figures.push(full);
    process.stdout.write(formatFigure(full) + '\n');
    const file = process.env['BENCH_RESULTS_FILE'];
    if (file) appendFileSync(file, JSON.stringify(full) + '\n');
  }

  info(text: string): void {
    process.stdout.write(`  · ${text}\n`);
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const mib = (bytes: number): number => bytes / (1024 * 1024);
