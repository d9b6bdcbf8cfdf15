import type { Writable } from 'node:stream';

const WIDTH = 30;
const number = (n: number) => Math.round(n).toLocaleString('en-US');

/** One progress line: `[#######.......]  45%  12,345/27,000 epochs  3,210/s`. */
export function formatProgress(done: number, total: number, ratePerSecond: number | null, label = 'epochs'): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * WIDTH);
  const rate = ratePerSecond === null ? '' : `  ${number(ratePerSecond)}/s`;
  return `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${number(done)}/${number(total)} ${label}${rate}`;
}

/**
 * Redraws in place on a terminal; elsewhere (logs, CI, a test's pipe) prints a line only at each
 * further 5 %, so output stays short.
 */
export class ProgressBar {
  private lastPercent = -1;
  private lastLength = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly out: Writable,
    private readonly interactive: boolean,
  ) {}

  update(done: number, total: number, suffix = ''): void {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const line = formatProgress(done, total, seconds > 0.5 ? done / seconds : null) + suffix;
    if (this.interactive) {
      this.out.write(`\r${line.padEnd(this.lastLength)}`);
      this.lastLength = line.length;
      return;
    }
    const percent = total > 0 ? Math.floor((done / total) * 20) * 5 : 0;
    if (percent === this.lastPercent) return;
    this.lastPercent = percent;
    this.out.write(`${line}\n`);
  }

  end(): void {
    if (this.interactive && this.lastLength > 0) this.out.write('\n');
  }
}
