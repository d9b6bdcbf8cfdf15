// Night-level decoding: turns one night's logits into stages using the whole night.
//
// class_share: per-epoch scoring gets the amount of a stage badly wrong per night (REM above all),
// which is what users read. The decoder fixes how many epochs of the night take the class:
// target = round((blend · training share + (1 − blend) · the model's own share) · predicted sleep
// epochs), and shifts that class's logit by one per-night offset so that exactly the `target`
// epochs with the largest margin for it take it (ties aside). Stored probabilities are the softmax
// of the shifted logits, so the stored stage is always their argmax.

import type { ClassShareDecoder } from '../models/pipeline.js';

/**
 * Applies the decoder in place to `count × nClasses` float64 logits. `wake` and `target` are class
 * indices. Returns the offset added to the target class's logits.
 */
export function applyClassShare(logits: Float64Array, count: number, nClasses: number, wake: number, target: number, decoder: ClassShareDecoder): number {
  if (count === 0) return 0;
  const margins = new Float64Array(count);
  let sleep = 0;
  let own = 0;
  for (let i = 0, o = 0; i < count; i++, o += nClasses) {
    const arg = argmaxRow(logits, o, nClasses);
    if (arg !== wake) sleep++;
    if (arg === target) own++;
    let other = -Infinity;
    for (let c = 0; c < nClasses; c++) if (c !== target && logits[o + c]! > other) other = logits[o + c]!;
    margins[i] = logits[o + target]! - other;
  }
  const ownShare = sleep > 0 ? own / sleep : 0;
  const wanted = Math.round((decoder.blend * decoder.shareOfSleep + (1 - decoder.blend) * ownShare) * sleep);
  // The class already takes exactly the epochs with a positive margin: leave the night as it is.
  if (wanted === own) return 0;
  // Descending margins: the `wanted` largest take the class.
  const sorted = Float64Array.from(margins).sort().reverse();
  let offset: number;
  if (wanted <= 0) offset = -sorted[0]! - 1;
  else if (wanted >= count) offset = -sorted[count - 1]! + 1;
  else offset = -(sorted[wanted - 1]! + sorted[wanted]!) / 2;
  for (let i = 0, o = 0; i < count; i++, o += nClasses) logits[o + target]! += offset;
  return offset;
}

/** First index of the largest value in row `o` (strict '>', like numpy.argmax). */
export function argmaxRow(values: Float64Array, o: number, n: number): number {
  let best = -Infinity;
  let arg = 0;
  for (let c = 0; c < n; c++) {
    if (values[o + c]! > best) {
      best = values[o + c]!;
      arg = c;
    }
  }
  return arg;
}
