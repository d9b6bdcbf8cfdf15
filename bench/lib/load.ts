import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import type { LoadSpec } from './load-runner.js';

export type LoadResult = Awaited<ReturnType<typeof autocannon>>;

const RUNNER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-runner.ts');

/** Runs autocannon in a separate node process (so the generator's CPU is not the bench's). */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'noctis-load-'));
  const file = path.join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`load runner exited ${code}: ${err}`);
    return JSON.parse(out.trim().split('\n').pop()!) as LoadResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
