import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from './cpu.js';

function comm(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  } catch {
    return null;
  }
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

const pids = (): number[] => readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map(Number);

/** Live children of `pid` (for example the API processes a WEB_CONCURRENCY cluster primary forked). */
export function childPids(pid: number): number[] {
  return pids().filter((p) => parentOf(p) === pid);
}

/** Every live process named `name`. */
export function findProcesses(name: string): number[] {
  return pids().filter((p) => comm(p) === name);
}

/** The pid of a live process named `name` whose command line contains `needle` (null if none). */
export function findProcess(name: string, needle: string): number | null {
  return pids().find((p) => comm(p) === name && cmdline(p).includes(needle)) ?? null;
}

export type PostgresRole = 'backends' | 'autovacuum' | 'writers';

const AUX = /: (checkpointer|background writer|walwriter|autovacuum launcher)\b/;

/**
 * CPU seconds PostgreSQL spends for one database on a server others share: the backends whose
 * process title names the database (connections and autovacuum workers) plus the server-wide
 * writers (checkpointer, background writer, WAL writer), which work for every database but mostly
 * for the busiest. Other databases' backends, which on a shared machine can outweigh ours, are left
 * out. Sampled every `everyMs` so a backend that exits mid-run loses at most one interval.
 */
export class DatabaseCpuMeter {
  private readonly base = new Map<number, number>();
  private readonly last = new Map<number, number>();
  private readonly titles = new Map<number, PostgresRole | null>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly database: string, everyMs = 250) {
    this.sample(true);
    this.timer = setInterval(() => this.sample(false), everyMs);
    this.timer.unref();
  }

  private role(pid: number): PostgresRole | null {
    let known = this.titles.get(pid);
    if (known === undefined) {
      const title = cmdline(pid);
      const mine = title.includes(` ${this.database} `) || title.endsWith(` ${this.database}`);
      known = AUX.test(title) ? 'writers' : mine && title.includes('autovacuum worker') ? 'autovacuum' : mine ? 'backends' : null;
      // A backend's title is set once it has authenticated; decide again later while it is blank.
      if (title.trim() !== '') this.titles.set(pid, known);
    }
    return known;
  }

  private sample(first: boolean): void {
    for (const pid of pids()) {
      if (comm(pid) !== 'postgres' || this.role(pid) === null) continue;
      const cpu = cpuSeconds(pid);
      if (!this.base.has(pid)) this.base.set(pid, first ? cpu : 0);
      this.last.set(pid, Math.max(cpu, this.last.get(pid) ?? 0));
    }
  }

  /** CPU seconds since the meter started. */
  seconds(): number {
    this.sample(false);
    let total = 0;
    for (const [pid, cpu] of this.last) total += cpu - (this.base.get(pid) ?? 0);
    return total;
  }

  /** seconds() split by role: our connections, our autovacuum workers, the server-wide writers. */
  breakdown(): Record<PostgresRole, number> {
    this.sample(false);
    const out: Record<PostgresRole, number> = { backends: 0, autovacuum: 0, writers: 0 };
    for (const [pid, cpu] of this.last) out[this.titles.get(pid) ?? 'backends'] += cpu - (this.base.get(pid) ?? 0);
    return out;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
