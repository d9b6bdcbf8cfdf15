import { readFileSync } from 'node:fs';

/** VmRSS and VmHWM (peak RSS) of a live process from /proc, in bytes; null once it is gone. */
export function readRss(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return null;
  }
}

export interface RssSample {
  readonly t: number;
  readonly rss: number;
  /** Whatever progress measure the bench attaches (epochs stored so far). */
  readonly progress: number;
}

/** Samples one process's RSS every `everyMs`; `peak()` is the kernel's high-water mark. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private timer: NodeJS.Timeout;
  private lastPeak = 0;
  progress = 0;

  constructor(readonly pid: number, everyMs = 500) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    const now = readRss(this.pid);
    if (!now) return;
    this.lastPeak = Math.max(this.lastPeak, now.peak);
    this.samples.push({ t: Date.now(), rss: now.rss, progress: this.progress });
  }

  peak(): number {
    this.sample();
    return this.lastPeak;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * RSS once a quarter of the work was done and the largest RSS after it: a flat-memory process
   * has growth close to 1 however much more work follows.
   */
  growth(total: number): { early: number; late: number; ratio: number } {
    const early = this.samples.find((s) => s.progress >= total / 4)?.rss ?? NaN;
    const late = Math.max(...this.samples.filter((s) => s.progress >= total / 4).map((s) => s.rss));
    return { early, late, ratio: late / early };
  }
}
