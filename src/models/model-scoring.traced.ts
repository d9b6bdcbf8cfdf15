import type { LoadedModel } from './model-loader.js';
import { scoreEpochs } from './model-scoring.js';
import { inSpanSync } from '../tracing/spans.js';

/** scoreEpochs inside a `score` span: the model version and the epoch count, never the features or the stages. */
export function scoreEpochsTraced(model: LoadedModel, indices: ArrayLike<number>, features: Float32Array, count: number): ReturnType<typeof scoreEpochs> {
  return inSpanSync('score', { 'noctis.model_version': model.version, 'noctis.epochs': count }, () => scoreEpochs(model, indices, features, count));
}
