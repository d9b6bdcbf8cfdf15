import { newMember, type SlidingWindowStore, type WindowDecision, type WindowLimit } from './sliding-window.js';

interface Entry {
  readonly at: number;
  readonly member: string;
}

/**
 * The same sliding log as the Redis script, held by one process: what the limits fall back to
 * while Redis cannot answer. Subjects are capped (oldest first out) so a flood of new client
 * addresses cannot grow the process's memory without bound.
 */
export class MemorySlidingWindow implements SlidingWindowStore {
  private readonly logs = new Map<string, Entry[]>();

  constructor(private readonly maxSubjects = 50_000) {}

  async consume(limits: readonly WindowLimit[], windowMs: number, now: number): Promise<WindowDecision> {
    let wait = 0;
    let refusedBy: number | null = null;
    const logs = limits.map((l) => this.live(l.key, windowMs, now));
    limits.forEach((limit, i) => {
      const log = logs[i]!;
      if (log.length < limit.limit) return;
      const untilFree = Math.max(1, log[log.length - limit.limit]!.at + windowMs - now);
      wait = Math.max(wait, untilFree);
      refusedBy ??= i;
    });
    if (refusedBy !== null) return { allowed: false, retryAfterMs: wait, refusedBy, member: null };
    const member = newMember(now);
    limits.forEach((limit, i) => {
      logs[i]!.push({ at: now, member });
      this.logs.delete(limit.key);
      this.logs.set(limit.key, logs[i]!);
    });
    this.evict();
    return { allowed: true, retryAfterMs: 0, refusedBy: null, member };
  }

  async release(key: string, member: string): Promise<void> {
    const log = this.logs.get(key);
    const at = log?.findIndex((e) => e.member === member) ?? -1;
    if (at >= 0) log!.splice(at, 1);
  }

  private live(key: string, windowMs: number, now: number): Entry[] {
    const log = this.logs.get(key) ?? [];
    const first = log.findIndex((e) => e.at > now - windowMs);
    return first < 0 ? [] : first === 0 ? log : log.slice(first);
  }

  private evict(): void {
    // Map order is insertion order and consume() re-inserts what it touches: the first are the stalest.
    for (const key of this.logs.keys()) {
      if (this.logs.size <= this.maxSubjects) return;
      this.logs.delete(key);
    }
  }
}
