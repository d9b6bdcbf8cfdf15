import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './services.js';

export interface ChildHandle {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): Promise<number | string>;
}

/**
 * The compiled file of an entry point (`src/entry/web.ts` → `dist/src/entry/web.js`): tests start
 * what the image runs. vitest's globalSetup builds dist/ (test/helpers/build-dist.ts).
 */
export function compiledEntry(entry: string): string {
  if (!entry.endsWith('.ts')) throw new Error(`${entry}: expected the .ts source path of an entry point`);
  const file = path.join(REPO_ROOT, 'dist', entry.replace(/\.ts$/, '.js'));
  if (!existsSync(file)) throw new Error(`${file} does not exist: run npm run build`);
  return file;
}

/** Runs the compiled entry point of `entry` (its source path) with node itself: no npm or tsx layer to orphan. */
export function spawnEntry(entry: string, env: Record<string, string>, args: readonly string[] = []): ChildHandle {
  const child = spawn(process.execPath, [compiledEntry(entry), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    child,
    output: () => out,
    exited,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

const started = new Set<ChildProcess>();
const dirs = new Set<string>();
let hooked = false;

/**
 * Redis servers a test started die with the test process even when the test timed out before its
 * own cleanup ran (an orphaned cluster or sentinel keeps ports and CPU on a shared machine). vitest
 * ends a fork with SIGTERM (then SIGKILL), so that is caught too, and re-raised once the children
 * are gone.
 */
export function killOnExit(child: ChildProcess, dir?: string): void {
  started.add(child);
  child.once('exit', () => started.delete(child));
  if (dir !== undefined) dirs.add(dir);
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  };
  process.once('exit', killAll);
  process.once('SIGTERM', () => {
    killAll();
    process.kill(process.pid, 'SIGTERM');
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A Redis server of the test's own on a free port, never the machine's shared one; `password` sets requirepass. */
export async function startRedis(port?: number, password?: string): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const p = port ?? (await freePort());
  const auth = password === undefined ? [] : ['--requirepass', password];
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const { Redis } = await import('ioredis');
  await waitUntil('redis-server to answer', async () => {
    const probe = new Redis(p, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password === undefined ? {} : { password }) });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      return (await probe.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  });
  return {
    url: `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}127.0.0.1:${p}/0`,
    port: p,
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface RedisClusterHandle {
  /** The nodes' ports, each a master owning a third of the slots. */
  readonly ports: readonly number[];
  /** SIGKILLs the node on `port` (a master down, no failover: the cluster has no replicas). */
  kill(port: number): Promise<void>;
  /** Starts a killed node again: empty, but its nodes.conf gives it back its slots. */
  restart(port: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real three-master Redis Cluster of the test's own (`redis-server --cluster-enabled yes`
 * processes joined by `redis-cli --cluster create`), in a temporary directory; `password` sets
 * requirepass on every node.
 */
export async function startRedisCluster(password?: string): Promise<RedisClusterHandle> {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { execFile } = await import('node:child_process');
  const dir = await mkdtemp(path.join(tmpdir(), 'noctis-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const exits: Array<Promise<void>> = [];
  const args: string[][] = [];
  const stop = async () => {
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(exits);
    await rm(dir, { recursive: true, force: true });
  };
  const launch = (at: number) => {
    const child = spawn('redis-server', args[at]!, { stdio: 'ignore' });
    children[at] = child;
    killOnExit(child, dir);
    exits[at] = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  };
  const cli = (cliArgs: string[]) =>
    new Promise<string>((resolve, reject) => execFile('redis-cli', cliArgs, { timeout: 30_000, env: { ...process.env, ...(password === undefined ? {} : { REDISCLI_AUTH: password }) } }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}${stderr}`)) : resolve(stdout))));
  const clusterOk = async () => (await Promise.all(ports.map((p) => cli(['-p', String(p), 'cluster', 'info']).catch(() => '')))).every((o) => o.includes('cluster_state:ok'));
  try {
    for (let i = 0; i < 3; i++) {
      // The bus port is chosen too: the default (port + 10000) may be taken or out of range.
      const [port, bus] = [await freePort(), await freePort()];
      args.push(['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no', ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password])]);
      ports.push(port);
      launch(i);
    }
    await waitUntil('cluster nodes to answer', async () => (await Promise.all(ports.map((p) => cli(['-p', String(p), 'ping']).catch(() => '')))).every((o) => o.trim() === 'PONG'), 15_000);
    await cli(['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitUntil('the cluster to be ok', clusterOk, 30_000, 200);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    ports,
    async kill(port) {
      const at = ports.indexOf(port);
      children[at]!.kill('SIGKILL');
      await exits[at];
    },
    async restart(port) {
      launch(ports.indexOf(port));
      await waitUntil('the cluster to be ok again', clusterOk, 30_000, 200);
    },
    stop,
  };
}
