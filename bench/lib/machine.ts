import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

function tryRun(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** One line naming the machine a result was measured on. */
export function describeMachine(): string {
  const cpu = cpus();
  const pg = tryRun('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-Atc', 'SHOW server_version']);
  const redis = tryRun('redis-server', ['--version']).replace(/^Redis server v=(\S+).*$/, '$1');
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, PostgreSQL ${pg}, Redis ${redis}`;
}
