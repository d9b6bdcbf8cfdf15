/** When the cluster primary restarts a dead API process, and when it stops trying. */
export interface RestartPolicyOptions {
  /** Delay before the first restart; each crash in a row doubles it. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** A crash this long after the previous one starts over at the initial delay. */
  readonly stableAfterMs: number;
  /** This many crashes within `windowMs` and the primary gives up. */
  readonly maxCrashes: number;
  readonly windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = Object.freeze({
  initialDelayMs: 1000,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
  maxCrashes: 5,
  windowMs: 60_000,
});

export type RestartDecision =
  | { readonly action: 'restart'; readonly delayMs: number; readonly crashesInWindow: number }
  | { readonly action: 'give-up'; readonly crashesInWindow: number };

/** Pure bookkeeping (the caller passes the clock), so the schedule is unit-tested without waiting. */
export class RestartPolicy {
  private crashTimes: number[] = [];
  private streak = 0;

  constructor(private readonly options: RestartPolicyOptions = DEFAULT_RESTART_POLICY) {}

  /** Records a crash at `now` (ms) and says what to do about it. */
  crashed(now: number): RestartDecision {
    const { initialDelayMs, maxDelayMs, stableAfterMs, maxCrashes, windowMs } = this.options;
    const previous = this.crashTimes.at(-1);
    if (previous !== undefined && now - previous >= stableAfterMs) this.streak = 0;
    this.streak += 1;
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < windowMs), now];
    const crashesInWindow = this.crashTimes.length;
    if (crashesInWindow >= maxCrashes) return { action: 'give-up', crashesInWindow };
    return { action: 'restart', delayMs: Math.min(maxDelayMs, initialDelayMs * 2 ** (this.streak - 1)), crashesInWindow };
  }
}
