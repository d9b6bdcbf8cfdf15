// Gives the local PostgreSQL server cores of its own for a measurement, as production gives the
// database its own machine: every postgres process (and so every backend the postmaster forks
// later) goes to the first core(s), this process tree and the local redis-server to the rest.
// Affinity is changed with util-linux `taskset` and put back to every core afterwards.
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { findProcesses } from './process-meter.js';

export interface CoreSplit {
  readonly database: string;
  readonly application: string;
  restore(): void;
}

function setAffinity(pid: number, cpus: string): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // gone meanwhile, or not ours to change
  }
}

/**
 * Splits the cores: `databaseCores` for PostgreSQL, the rest for everything else. Returns why not
 * when it cannot (one core, no taskset, or a database server this user may not pin).
 */
export function splitCores(databaseCores = 1): CoreSplit | string {
  const cores = availableParallelism();
  if (cores <= databaseCores) return `${cores} core(s): nothing left for the application`;
  const postgres = findProcesses('postgres');
  if (postgres.length === 0) return 'no local postgres process (the database is elsewhere: it has its own cores already)';
  const all = `0-${cores - 1}`;
  const database = databaseCores === 1 ? '0' : `0-${databaseCores - 1}`;
  const application = databaseCores === cores - 1 ? String(cores - 1) : `${databaseCores}-${cores - 1}`;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'taskset (util-linux) is not installed';
  }
  const pinned: number[] = [];
  for (const pid of postgres) if (setAffinity(pid, database)) pinned.push(pid);
  if (pinned.length < postgres.length) {
    for (const pid of pinned) setAffinity(pid, all);
    return 'not allowed to change the affinity of the postgres processes (run as root or as the postgres user)';
  }
  const others = [process.pid, ...findProcesses('redis-server')];
  for (const pid of others) setAffinity(pid, application);
  return {
    database,
    application,
    restore() {
      for (const pid of [...findProcesses('postgres'), ...others]) setAffinity(pid, all);
    },
  };
}
