// Baseline for bench/predict.bench.ts: the same inline predict work (JSON parse, features into one
// float32 block, scoreEpochs, the same response JSON) on a bare node:http server, without Express,
// validation or error handling. argv: port, model version.
import { createServer } from 'node:http';
import { pino } from 'pino';
import { ModelRegistry } from '../../src/models/model-registry.js';
import { scoreEpochs } from '../../src/models/model-scoring.js';
import { SHIPPED_MODELS_DIR } from '../../test/helpers/services.js';

const [port, version] = [Number(process.argv[2]), process.argv[3]];
const registry = new ModelRegistry(SHIPPED_MODELS_DIR, pino({ level: 'silent' }));
await registry.load(version);
const model = registry.resolve(version);
const n = model.features.length;
const k = model.labels.length;
const round = (values: Float32Array): number[] => Array.from(values, (v) => Math.round(v * 1e7) / 1e7);

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { epochs: Array<{ features: number[] }> };
    const count = body.epochs.length;
    const features = new Float32Array(count * n);
    body.epochs.forEach((e, i) => features.set(e.features, i * n));
    const scores = scoreEpochs(model, Int32Array.from({ length: count }, (_, i) => i), features, count);
    const out = JSON.stringify({
      model_version: model.version,
      labels: model.labels,
      predictions: Array.from({ length: count }, (_, i) => ({ epoch_index: i, stage: model.labels[scores.classes[i]!], probabilities: round(scores.probabilities.subarray(i * k, (i + 1) * k)) })),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(out);
  });
}).listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
