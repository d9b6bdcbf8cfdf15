import { scoreNight } from '../scoring/night-scorer.js';
import { scoreBatch, type ScoreOutput } from '../scoring/softmax.js';
import type { LoadedModel } from './model-loader.js';

/**
 * Scores `count` epochs of one night with a loaded model. Models without pipeline.json keep the
 * per-epoch kernel (so their predictions are exactly what they always were); every other model
 * runs its pipeline over the epochs given, which must then be the whole stored night.
 */
export function scoreEpochs(model: LoadedModel, indices: ArrayLike<number>, features: Float32Array, count: number): ScoreOutput {
  if (model.linear !== null) return scoreBatch(model.linear, features, count);
  return scoreNight(model.night, indices, features, count);
}
