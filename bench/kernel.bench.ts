// Scoring kernel: epochs scored per second on one core by scoreBatch (the model's transforms and
// softmax) against numpy (Debian's python3-numpy, /usr/bin/python3) doing the same on the same matrix.
// Informational since the kernel lost its hand-tuned paths (Math.exp, one loop for every class
// count): scoring is a small share of end-to-end ingest, which bench/ingest.bench.ts measures.
//   npm run bench:kernel            (BENCH_KERNEL_EPOCHS=1000000)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { ModelRegistry } from '../src/models/model-registry.js';
import { scoreBatch } from '../src/scoring/softmax.js';
import { SHIPPED_MODELS_DIR } from '../test/helpers/services.js';
import { realNights } from './lib/nights.js';
import { Reporter } from './lib/report.js';

const COUNT = Number(process.env['BENCH_KERNEL_EPOCHS'] ?? 1_000_000);
const REPEATS = 7;
const PYTHON = process.env['BENCH_PYTHON'] ?? '/usr/bin/python3';

const report = new Reporter('scoring kernel (one core)');
const registry = new ModelRegistry(SHIPPED_MODELS_DIR, pino({ level: 'silent' }));
await registry.load(undefined);
// The per-epoch kernel: a model without a night pipeline (context models score whole nights).
const model = registry.resolve(process.env['BENCH_KERNEL_MODEL'] ?? 'wnr-v2');
if (!model.linear) throw new Error(`${model.version} has a night pipeline; the kernel benchmark needs a per-epoch model`);
const linear = model.linear;
const n = linear.nFeatures;

// The real nights tiled to COUNT epochs.
const rows = realNights().flatMap((night) => night.features);
const matrix = new Float32Array(COUNT * n);
for (let k = 0; k < COUNT; k++) matrix.set(rows[k % rows.length]!, k * n);
report.info(`model ${model.version} (${n} features, ${model.labels.length} classes, transforms: ${model.transforms.map((t) => t.op).join(', ') || 'none'}); ${COUNT.toLocaleString('en-US')} epochs tiled from the real nights; best of ${REPEATS}`);

const out = { probabilities: new Float32Array(COUNT * model.labels.length), classes: new Uint8Array(COUNT) };
scoreBatch(linear, matrix, 10_000, out);
const times: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  const t0 = performance.now();
  scoreBatch(linear, matrix, COUNT, out);
  times.push((performance.now() - t0) / 1000);
}
const jsBest = Math.min(...times);
const counts = Array.from({ length: model.labels.length }, (_, c) => out.classes.reduce((a, v) => a + (v === c ? 1 : 0), 0));

const dir = mkdtempSync(path.join(tmpdir(), 'noctis-kernel-'));
try {
  const file = path.join(dir, 'matrix.f32');
  writeFileSync(file, Buffer.from(matrix.buffer, matrix.byteOffset, matrix.byteLength));
  // Unset both OpenBLAS variables together, for this command only; one BLAS thread = one core.
  const env: Record<string, string | undefined> = { ...process.env, OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  delete env['OPENBLAS_CORETYPE'];
  delete env['OPENBLAS_L2_SIZE'];
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'numpy-softmax.py');
  const py = JSON.parse(execFileSync(PYTHON, [script, file, path.join(SHIPPED_MODELS_DIR, model.version), String(REPEATS)], { env, encoding: 'utf8' })) as {
    numpy: string; python: string; best_seconds: number; blas: string; checksum_class_counts: number[]; first_probabilities: number[];
  };
  const agree = JSON.stringify(py.checksum_class_counts) === JSON.stringify(counts);
  report.info(`numpy ${py.numpy} (${py.python}), BLAS: ${py.blas}; float64 like scoreBatch; class counts ${agree ? 'agree' : `DIFFER: js ${counts} numpy ${py.checksum_class_counts}`}`);
  const js = COUNT / jsBest;
  const np = COUNT / py.best_seconds;
  report.add({ name: 'scoreBatch', value: js, unit: 'epochs/s', baseline: { name: `numpy ${py.numpy} same transforms + softmax`, value: np }, ratio: js / np, note: 'no target: scoring is a small share of end-to-end ingest (issue 12)' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
