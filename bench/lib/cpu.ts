import { readdirSync, readFileSync } from 'node:fs';

const TICKS = 100; // USER_HZ on Linux

/** User + system CPU seconds a process has used, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds of every postgres process (server and backends), including exited backends' time
 * reaped by the postmaster (cutime/cstime), so a delta over a run counts the database's work.
 */
export function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (name !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const parent = Number(fields[1]);
      // Backends are children of the postmaster; count the postmaster's reaped children too.
      total += (Number(fields[11]) + Number(fields[12])) / TICKS;
      if (parent === 1 || !isPostgres(parent)) total += (Number(fields[13]) + Number(fields[14])) / TICKS;
    } catch {
      // raced with an exiting process
    }
  }
  return total;
}

function isPostgres(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'postgres';
  } catch {
    return false;
  }
}

/** Whole-machine busy CPU seconds (all cores) from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (line[3] ?? 0) + (line[4] ?? 0);
  return (line.reduce((a, b) => a + b, 0) - idle) / TICKS;
}
