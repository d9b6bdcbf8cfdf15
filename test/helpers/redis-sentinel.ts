import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, killOnExit, waitUntil } from './processes.js';

export interface RedisSentinelHandle {
  /** The master name the sentinels monitor. */
  readonly master: string;
  readonly sentinelPorts: readonly number[];
  readonly primaryPort: number;
  readonly replicaPort: number;
  /** SIGKILLs the primary (no shutdown, no last save): the failure a failover is for. */
  killPrimary(): Promise<void>;
  /** The port the sentinels name as primary now. */
  currentPrimaryPort(): Promise<number>;
  stop(): Promise<void>;
}

const cli = (args: string[], password?: string) =>
  new Promise<string>((resolve, reject) => execFile('redis-cli', args, { timeout: 10_000, env: { ...process.env, ...(password === undefined ? {} : { REDISCLI_AUTH: password }) } }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}${stderr}`)) : resolve(stdout))));

/** `SENTINEL MASTER` answers alternating field and value lines. */
async function sentinelField(port: number, master: string, field: string): Promise<string | undefined> {
  const lines = (await cli(['-p', String(port), 'sentinel', 'master', master]).catch(() => '')).split('\n').map((l) => l.trim());
  const at = lines.indexOf(field);
  return at >= 0 ? lines[at + 1] : undefined;
}

/**
 * A primary, one replica and three sentinels (quorum 2) of the test's own, on free ports in a
 * temporary directory (sentinels rewrite their config files). Short timeouts (down after 1 s) so a
 * failover happens within seconds. `password` protects the primary and the replica (the sentinels
 * use it to reach them; the sentinels themselves take no password).
 */
export async function startRedisSentinel(password?: string, master = 'noctis-test'): Promise<RedisSentinelHandle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'noctis-sentinel-'));
  const children = new Map<string, ChildProcess>();
  const exits: Array<Promise<void>> = [];
  const start = (name: string, args: string[]) => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    children.set(name, child);
    killOnExit(child, dir);
    exits.push(new Promise<void>((resolve) => child.once('exit', () => resolve())));
  };
  const stop = async () => {
    for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(exits);
    await rm(dir, { recursive: true, force: true });
  };
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  try {
    const auth = password === undefined ? [] : ['--requirepass', password, '--masterauth', password];
    const data = ['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...auth];
    start('primary', ['--port', String(primaryPort), ...data]);
    start('replica', ['--port', String(replicaPort), '--replicaof', '127.0.0.1', String(primaryPort), ...data]);
    for (const port of sentinelPorts) {
      const file = path.join(dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${master} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${master} 1000`,
          `sentinel failover-timeout ${master} 5000`,
          `sentinel parallel-syncs ${master} 1`,
          ...(password === undefined ? [] : [`sentinel auth-pass ${master} ${password}`]),
          '',
        ].join('\n'),
      );
      start(`sentinel-${port}`, [file, '--sentinel']);
    }
    await waitUntil('the replica to sync', async () => (await cli(['-p', String(replicaPort), 'info', 'replication'], password).catch(() => '')).includes('master_link_status:up'), 20_000, 200);
    // Every sentinel must know the replica and the other two, or a failover could not be agreed.
    await waitUntil(
      'the sentinels to find each other and the replica',
      async () => {
        const views = await Promise.all(sentinelPorts.map(async (p) => [await sentinelField(p, master, 'num-other-sentinels'), await sentinelField(p, master, 'num-slaves')]));
        return views.every(([others, replicas]) => others === '2' && replicas === '1');
      },
      30_000,
      200,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    master,
    sentinelPorts,
    primaryPort,
    replicaPort,
    async killPrimary() {
      const child = children.get('primary')!;
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    },
    async currentPrimaryPort() {
      const out = await cli(['-p', String(sentinelPorts[0]), 'sentinel', 'get-master-addr-by-name', master]);
      return Number(out.trim().split('\n')[1]);
    },
    stop,
  };
}
