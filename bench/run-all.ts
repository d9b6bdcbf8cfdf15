// npm run bench: every benchmark in its own process, one after another, then bench/RESULTS.md
// (the figures, the machine, the command). `npm run bench -- --no-write` leaves RESULTS.md alone.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.js';
import { formatFigure, type Figure } from './lib/report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BENCHES = ['ingest.bench.ts', 'write-path.bench.ts', 'ingest-latency.bench.ts', 'predict.bench.ts', 'kernel.bench.ts', 'rescore.bench.ts', 'night-scoring.bench.ts', 'nights.bench.ts', 'tracing.bench.ts', 'scaling.bench.ts'];
const write = !process.argv.includes('--no-write');

const dir = mkdtempSync(path.join(tmpdir(), 'noctis-bench-'));
const resultsFile = path.join(dir, 'figures.jsonl');
const machine = describeMachine();
const started = new Date();
process.stdout.write(`Noctis benchmarks on ${machine}\n`);
const runs: Array<{ file: string; code: number | null; seconds: number; output: string; load: string }> = [];
for (const file of BENCHES) {
  const full = path.join(HERE, file);
  if (!existsSync(full)) {
    process.stdout.write(`\n(${file} is not there: skipped)\n`);
    continue;
  }
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', full], { env: { ...process.env, BENCH_RESULTS_FILE: resultsFile }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const tee = (d: Buffer) => {
    output += d.toString();
    process.stdout.write(d);
  };
  child.stdout.on('data', tee);
  child.stderr.on('data', tee);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  runs.push({ file, code, seconds: (performance.now() - t0) / 1000, output, load });
  if (code !== 0) process.stdout.write(`\n${file} FAILED (exit ${code})\n`);
}
const figures: Figure[] = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Figure) : [];
rmSync(dir, { recursive: true, force: true });

const targets = figures.filter((f) => f.target);
process.stdout.write(`\n== Summary (${targets.filter((f) => f.met).length}/${targets.length} targets met)\n`);
for (const f of figures.filter((f) => f.baseline || f.target)) process.stdout.write(`[${f.bench}]${formatFigure(f)}\n`);

if (write) {
  const num = (v: number) => (Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3));
  const table = [
    '| benchmark | figure | value | baseline (same run) | ratio | target |',
    '|---|---|---|---|---|---|',
    ...figures.map((f) =>
      `| ${f.bench} | ${f.name} | ${num(f.value)} ${f.unit} | ${f.baseline ? `${f.baseline.name}: ${num(f.baseline.value)} ${f.unit}` : ''} | ${f.ratio === undefined ? '' : f.ratio.toFixed(2)} | ${f.target ? `${f.target}: **${f.met ? 'met' : 'missed'}**` : ''} |`,
    ),
  ].join('\n');
  const raw = runs.map((r) => `### ${r.file} (exit ${r.code}, ${r.seconds.toFixed(0)} s, load average at start ${r.load})\n\n\`\`\`\n${r.output.trim()}\n\`\`\``).join('\n\n');
  const notesFile = path.join(HERE, 'RESULTS.notes.md');
  const notes = existsSync(notesFile) ? `\n${readFileSync(notesFile, 'utf8').trim()}\n` : '';
  writeFileSync(
    path.join(HERE, 'RESULTS.md'),
    `# Benchmark results\n\nWritten by \`npm run bench\` (bench/run-all.ts) on ${started.toISOString()}; took ${((Date.now() - started.getTime()) / 60000).toFixed(1)} min.\n\n` +
      `- Machine: ${machine}\n- Command: \`npm run bench\` in the repository root, PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 as for the tests\n` +
      `- Every benchmark makes its own database and queue prefix and drops them afterwards; the API and workers run as separate processes with LOG_LEVEL=warn.\n` +
      `- Baselines are measured in the same run on the same machine; ratios read as the target reads them.\n\n` +
      `## Figures\n\n${table}\n${notes}\n## Output of each benchmark\n\n${raw}\n`,
  );
  process.stdout.write(`\nwrote bench/RESULTS.md\n`);
}
process.exitCode = runs.some((r) => r.code !== 0) ? 1 : 0;
