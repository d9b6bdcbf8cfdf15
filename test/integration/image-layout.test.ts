import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { last, parseDockerfile, type Instruction, type Stage } from '../helpers/dockerfile.js';
import { REPO_ROOT } from '../helpers/services.js';

// No Docker engine here: the Dockerfile is read instead, and everything its final stage copies from
// the build stage is looked for in the dist/ that `npm run build` (vitest's globalSetup) produced,
// the same command the build stage runs.

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const stages = parseDockerfile(read('Dockerfile'));
const runtime = stages.at(-1)!;
const stage = (name: string): Stage => stages.find((s) => s.name === name)!;
/** WORKDIR of a stage, inherited from the stage it starts from. */
const workdir = (s: Stage): string | undefined => last(s, 'WORKDIR')?.args[0] ?? (stages.some((p) => p.name === s.image) ? workdir(stage(s.image)) : undefined);
const copies = (s: Stage): Instruction[] => s.instructions.filter((i) => i.keyword === 'COPY');
const runs = (s: Stage): string => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.text).join('\n');
const NODE_MAJOR = read('.nvmrc').trim();
const RUNTIME_TOOLS = /\b(npm|npx|tsx|yarn|corepack)\b/;

/** The node entry file a command runs, checked to be `node dist/...` of a file the build emitted. */
function nodeEntry(command: readonly string[], where: string): string {
  expect(command[0], where).toBe('node');
  expect(command.join(' '), where).not.toMatch(RUNTIME_TOOLS);
  const entry = command.at(-1)!;
  expect(entry, where).toMatch(/^dist\/.+\.js$/);
  expect(existsSync(path.join(REPO_ROOT, entry)), `${where}: ${entry} after npm run build`).toBe(true);
  return entry;
}

describe('the Dockerfile', () => {
  it('builds in three stages on the Node major of .nvmrc', () => {
    expect(stages.map((s) => s.name)).toEqual(['deps', 'build', 'runtime']);
    expect(stage('deps').image).toMatch(new RegExp(`^node:${NODE_MAJOR}-bookworm-slim$`));
    expect(stage('build').image).toBe('deps');
    // The runtime starts again from the base image: nothing of deps (dev dependencies) comes along uncopied.
    expect(runtime.image).toBe(stage('deps').image);
    expect(runs(stage('deps'))).toMatch(/\bnpm ci\b/);
    expect(runs(stage('build'))).toMatch(/\bnpm run build\b.*\bnpm prune --omit=dev\b/);
  });

  it('compiles in the build stage everything tsconfig.build.json compiles', () => {
    const { include } = JSON.parse(read('tsconfig.build.json').replace(/^\s*\/\/.*$/gm, '')) as { include: string[] };
    const copied = copies(stage('build')).flatMap((c) => c.args.slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['tsconfig.json', 'tsconfig.build.json', ...include]));
    expect(read('package.json')).toContain('"build": "tsc -b tsconfig.build.json"');
  });

  it('runs as user node under tini, with node itself as the command (no npm, no tsx)', () => {
    expect(last(runtime, 'USER')?.args).toEqual(['node']);
    // USER after the last COPY and RUN: nothing the image ships was written as node.
    const keywords = runtime.instructions.map((i) => i.keyword);
    expect(keywords.indexOf('USER')).toBeGreaterThan(Math.max(keywords.lastIndexOf('COPY'), keywords.lastIndexOf('RUN')));
    expect(runs(runtime)).toMatch(/apt-get install -y --no-install-recommends tini\b/);
    expect(last(runtime, 'ENTRYPOINT')).toMatchObject({ exec: true, args: ['tini', '--'] });
    const cmd = last(runtime, 'CMD')!;
    expect(cmd.exec).toBe(true);
    expect(nodeEntry(cmd.args, 'CMD')).toBe('dist/src/entry/web.js');
    // npm is removed from the runtime image, never run there.
    expect(runs(runtime)).toContain('rm -rf /usr/local/lib/node_modules/npm');
    expect(runs(runtime)).not.toMatch(/\bnpm (ci|install|run|prune)\b/);
  });

  it('copies into the runtime only production node_modules, dist/, models/ and package.json, all of which exist', () => {
    const buildDir = workdir(stage('build'))!;
    const layout = copies(runtime).map((c) => {
      const [source, dest] = c.args as [string, string];
      // A path in the build stage's /app is the same path in this checkout after npm run build.
      const local = c.flags['from'] === undefined ? source : path.relative(buildDir, source);
      expect(existsSync(path.join(REPO_ROOT, local)), `${source} (${local})`).toBe(true);
      return [c.flags['from'] ?? 'context', local, dest];
    });
    expect(layout).toEqual([
      ['context', 'package.json', './'],
      ['build', 'node_modules', './node_modules'],
      ['build', 'dist', './dist'],
      ['context', 'models', './models'],
    ]);
    expect(workdir(runtime)).toBe(buildDir);
    expect(existsSync(path.join(REPO_ROOT, 'dist/migrations/index.js'))).toBe(true);
  });

  it('sends the build only what it copies (.dockerignore lets nothing else through)', () => {
    const patterns = read('.dockerignore').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(patterns[0]).toBe('*');
    const allowed = patterns.slice(1).map((p) => {
      expect(p).toMatch(/^!/);
      return p.slice(1);
    });
    const fromContext = stages.flatMap((s) => copies(s).filter((c) => c.flags['from'] === undefined).flatMap((c) => c.args.slice(0, -1)));
    expect([...new Set(allowed)].sort()).toEqual([...new Set(fromContext)].sort());
  });
});

describe('the compiled code and the commands that run it', () => {
  it('imports no dev dependency (the image has only the production ones)', () => {
    const { dependencies } = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const files = readdirSync(path.join(REPO_ROOT, 'dist'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(50);
    const packages = new Set<string>();
    for (const file of files) {
      const code = readFileSync(path.join(REPO_ROOT, 'dist', file), 'utf8');
      // Import and re-export statements as tsc emits them: each at the start of a line.
      for (const [, from, bare] of code.matchAll(/^(?:import|export)\b[^;'"]*\bfrom\s*['"]([^'"]+)['"];?$|^import\s*['"]([^'"]+)['"];?$/gm)) {
        const spec = (from ?? bare)!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    expect([...packages].filter((p) => !(p in dependencies))).toEqual([]);
    expect(packages).toContain('express');
  });

  it('runs node dist/... in the Procfile and in docker-compose.yml (release, api, worker)', () => {
    const procfile = Object.fromEntries(
      read('Procfile').trim().split('\n').map((line) => line.split(/:\s*(.*)/s).slice(0, 2) as [string, string]),
    );
    const fromProcfile = Object.fromEntries(Object.entries(procfile).map(([role, command]) => [role, nodeEntry(command.split(/\s+/), `Procfile ${role}`)]));
    expect(fromProcfile).toEqual({ release: 'dist/src/entry/migrate.js', web: 'dist/src/entry/web.js', worker: 'dist/workers/main.js' });
    // Each service's `command: [...]` (flow style, two-space indentation under services:).
    const commands: Record<string, string[]> = {};
    let service = '';
    for (const line of read('docker-compose.yml').split('\n')) {
      service = /^ {2}([a-z-]+):\s*$/.exec(line)?.[1] ?? service;
      const command = /^ {4}command:\s*(\[.*\])\s*$/.exec(line)?.[1];
      if (command !== undefined) commands[service] = JSON.parse(command) as string[];
    }
    const fromCompose = Object.fromEntries(['release', 'api', 'worker'].map((s) => [s, nodeEntry(commands[s] ?? [], `docker-compose ${s}`)]));
    expect(fromCompose).toEqual({ release: fromProcfile['release'], api: fromProcfile['web'], worker: fromProcfile['worker'] });
  });
});
