// Multinomial logistic regression, L2-regularised, optional 'balanced' class weights, fitted by
// damped Newton's method with backtracking line search (deterministic: fixed summation order, zero
// start). Features are standardised internally and the standardisation is folded back into W and b,
// so the returned model consumes the same (transformed but unstandardised) features as its input.
//
// Objective: (1/Σw_i) Σ_i w_i·(−log p_i[y_i]) + (l2/2)·‖V‖², V = weights on standardised features.
// Biases are not penalised; the last class's bias is pinned to 0 (softmax is shift-invariant), which
// makes the Hessian positive definite for l2 > 0 without changing the optimum.

export type ClassWeighting = 'balanced' | 'none';

export interface LogisticRegressionOptions {
  readonly l2: number;
  readonly classWeight: ClassWeighting;
  readonly maxIter?: number;
  /** Stop when the max-abs gradient falls below this. */
  readonly tol?: number;
}

export interface LogisticRegressionFit {
  readonly nFeatures: number;
  readonly nClasses: number;
  /** Row-major [nFeatures][nClasses], acting on unstandardised features. */
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  readonly classWeights: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
  readonly objective: number;
}

/** Per-class sample weights; 'balanced' = n / (k · count_c) as in sklearn. */
export function computeClassWeights(y: Uint8Array, nClasses: number, mode: ClassWeighting): Float64Array {
  const counts = new Float64Array(nClasses);
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
  const out = new Float64Array(nClasses).fill(1);
  if (mode === 'balanced') {
    for (let c = 0; c < nClasses; c++) out[c] = counts[c]! > 0 ? y.length / (nClasses * counts[c]!) : 0;
  }
  return out;
}

/** Column means and population standard deviations (1 for constant columns, so z stays 0). */
export function standardisation(x: Float64Array, n: number, nF: number): { mean: Float64Array; scale: Float64Array } {
  const mean = new Float64Array(nF);
  const scale = new Float64Array(nF);
  for (let i = 0; i < n; i++) for (let j = 0; j < nF; j++) mean[j]! += x[i * nF + j]!;
  for (let j = 0; j < nF; j++) mean[j]! /= n;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nF; j++) {
      const d = x[i * nF + j]! - mean[j]!;
      scale[j]! += d * d;
    }
  }
  for (let j = 0; j < nF; j++) {
    const sd = Math.sqrt(scale[j]! / n);
    scale[j] = sd > 1e-12 ? sd : 1;
  }
  return { mean, scale };
}

/** Fold z = (x − mean)/scale into a linear model: W = V/scale, b = a − Σ_j mean_j·W_j. */
export function foldStandardisation(
  v: Float64Array,
  a: Float64Array,
  mean: Float64Array,
  scale: Float64Array,
  nClasses: number,
): { weights: Float64Array; bias: Float64Array } {
  const nF = mean.length;
  const weights = new Float64Array(nF * nClasses);
  const bias = Float64Array.from(a);
  for (let j = 0; j < nF; j++) {
    for (let c = 0; c < nClasses; c++) {
      const w = v[j * nClasses + c]! / scale[j]!;
      weights[j * nClasses + c] = w;
      bias[c]! -= mean[j]! * w;
    }
  }
  return { weights, bias };
}

/** Logits x·W + b in float64 (reference path for training and tests). */
export function linearLogits(x: Float64Array, n: number, weights: Float64Array, bias: Float64Array): Float64Array {
  const nC = bias.length;
  const nF = weights.length / nC;
  const out = new Float64Array(n * nC);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < nC; c++) {
      let s = bias[c]!;
      for (let j = 0; j < nF; j++) s += x[i * nF + j]! * weights[j * nC + c]!;
      out[i * nC + c] = s;
    }
  }
  return out;
}

/** In-place Cholesky solve of A·x = rhs (A symmetric PD, dim m); returns false if not PD. */
function choleskySolve(a: Float64Array, rhs: Float64Array, m: number): boolean {
  for (let j = 0; j < m; j++) {
    let d = a[j * m + j]!;
    for (let k = 0; k < j; k++) d -= a[j * m + k]! * a[j * m + k]!;
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * m + j] = ljj;
    for (let i = j + 1; i < m; i++) {
      let s = a[i * m + j]!;
      for (let k = 0; k < j; k++) s -= a[i * m + k]! * a[j * m + k]!;
      a[i * m + j] = s / ljj;
    }
  }
  for (let i = 0; i < m; i++) {
    let s = rhs[i]!;
    for (let k = 0; k < i; k++) s -= a[i * m + k]! * rhs[k]!;
    rhs[i] = s / a[i * m + i]!;
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = rhs[i]!;
    for (let k = i + 1; k < m; k++) s -= a[k * m + i]! * rhs[k]!;
    rhs[i] = s / a[i * m + i]!;
  }
  return true;
}

/**
 * Fit on row-major x (n × nF, already transformed) with labels y in [0, nClasses).
 * Throws if a class has no samples: its bias would run off to −∞ and never converge.
 */
export function fitLogisticRegression(
  x: Float64Array,
  y: Uint8Array,
  nF: number,
  nClasses: number,
  opts: LogisticRegressionOptions,
): LogisticRegressionFit {
  const n = y.length;
  if (x.length !== n * nF) throw new Error(`x has ${x.length} values, expected ${n}*${nF}`);
  if (!(opts.l2 >= 0) || !Number.isFinite(opts.l2)) throw new Error(`l2 must be a finite number >= 0, got ${opts.l2}`);
  if (nClasses < 2) throw new Error('need at least 2 classes');
  for (let i = 0; i < n; i++) if (y[i]! >= nClasses) throw new Error(`label ${y[i]} at ${i} >= nClasses ${nClasses}`);
  const classWeights = computeClassWeights(y, nClasses, opts.classWeight);
  const counts = new Float64Array(nClasses);
  for (let i = 0; i < n; i++) counts[y[i]!]!++;
  const missing = counts.indexOf(0);
  if (missing >= 0) throw new Error(`class ${missing} has no training samples`);

  const { mean, scale } = standardisation(x, n, nF);
  const z = new Float64Array(n * nF);
  for (let i = 0; i < n; i++) for (let j = 0; j < nF; j++) z[i * nF + j] = (x[i * nF + j]! - mean[j]!) / scale[j]!;

  const p1 = nF + 1; // per-class block: nF weights then bias
  const m = nClasses * p1 - 1; // last class's bias pinned to 0
  let wSum = 0;
  for (let i = 0; i < n; i++) wSum += classWeights[y[i]!]!;
  const ctx: PassContext = { z, y, n, nF, nC: nClasses, classWeights, invW: 1 / wSum, l2: opts.l2, m };

  const theta = new Float64Array(m);
  const grad = new Float64Array(m);
  const hess = new Float64Array(m * m);
  const trial = new Float64Array(m);
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-9;
  let f = evaluate(ctx, theta, grad, hess);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIter) {
    let gmax = 0;
    for (let k = 0; k < m; k++) gmax = Math.max(gmax, Math.abs(grad[k]!));
    if (gmax < tol) {
      converged = true;
      break;
    }
    iterations++;
    // Newton direction; grow Levenberg damping until the (possibly ill-conditioned) system factors.
    const step = new Float64Array(m);
    for (let damping = 1e-10; ; damping *= 100) {
      const a = Float64Array.from(hess);
      for (let k = 0; k < m; k++) a[k * m + k]! += damping;
      for (let k = 0; k < m; k++) step[k] = -grad[k]!;
      if (choleskySolve(a, step, m)) break;
      if (damping > 1e6) throw new Error('Hessian is not positive definite even with heavy damping');
    }
    let slope = 0;
    for (let k = 0; k < m; k++) slope += grad[k]! * step[k]!;
    let t = 1;
    let fNew = Infinity;
    for (let ls = 0; ls < 60; ls++, t *= 0.5) {
      for (let k = 0; k < m; k++) trial[k] = theta[k]! + t * step[k]!;
      fNew = evaluate(ctx, trial, null, null);
      if (fNew <= f + 1e-4 * t * slope) break;
    }
    if (!(fNew < f)) {
      converged = true; // no further decrease representable: at the optimum to machine precision
      break;
    }
    theta.set(trial);
    f = evaluate(ctx, theta, grad, hess);
  }

  const v = new Float64Array(nF * nClasses);
  const a = new Float64Array(nClasses);
  for (let c = 0; c < nClasses; c++) {
    for (let j = 0; j < nF; j++) v[j * nClasses + c] = theta[c * p1 + j]!;
    if (c < nClasses - 1) a[c] = theta[c * p1 + nF]!;
  }
  const folded = foldStandardisation(v, a, mean, scale, nClasses);
  return { nFeatures: nF, nClasses, ...folded, mean, scale, classWeights, iterations, converged, objective: f };
}

interface PassContext {
  readonly z: Float64Array;
  readonly y: Uint8Array;
  readonly n: number;
  readonly nF: number;
  readonly nC: number;
  readonly classWeights: Float64Array;
  readonly invW: number;
  readonly l2: number;
  readonly m: number;
}

/** Objective at theta; also fills gradient and Hessian when given. */
function evaluate(ctx: PassContext, theta: Float64Array, grad: Float64Array | null, hess: Float64Array | null): number {
  const { z, y, n, nF, nC, classWeights, invW, l2, m } = ctx;
  const p1 = nF + 1;
  const logit = new Float64Array(nC);
  const zi = new Float64Array(p1);
  if (grad) grad.fill(0);
  if (hess) hess.fill(0);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < nF; j++) zi[j] = z[i * nF + j]!;
    zi[nF] = 1;
    let max = -Infinity;
    for (let c = 0; c < nC; c++) {
      let s = c < nC - 1 ? theta[c * p1 + nF]! : 0;
      for (let j = 0; j < nF; j++) s += zi[j]! * theta[c * p1 + j]!;
      logit[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < nC; c++) sum += Math.exp(logit[c]! - max);
    const logSum = max + Math.log(sum);
    const yi = y[i]!;
    const wi = classWeights[yi]! * invW;
    loss += wi * (logSum - logit[yi]!);
    if (!grad || !hess) continue;
    for (let c = 0; c < nC; c++) logit[c] = Math.exp(logit[c]! - logSum); // now probabilities
    for (let c = 0; c < nC; c++) {
      const pc = logit[c]!;
      const r = wi * (pc - (c === yi ? 1 : 0));
      const rowLen = c < nC - 1 ? p1 : nF;
      for (let j = 0; j < rowLen; j++) grad[c * p1 + j]! += r * zi[j]!;
      for (let c2 = c; c2 < nC; c2++) {
        const h = wi * pc * ((c === c2 ? 1 : 0) - logit[c2]!);
        const colLen = c2 < nC - 1 ? p1 : nF;
        for (let j = 0; j < rowLen; j++) {
          const hz = h * zi[j]!;
          const rowBase = (c * p1 + j) * m + c2 * p1;
          for (let j2 = 0; j2 < colLen; j2++) hess[rowBase + j2]! += hz * zi[j2]!;
        }
      }
    }
  }
  let reg = 0;
  for (let c = 0; c < nC; c++) {
    for (let j = 0; j < nF; j++) {
      const k = c * p1 + j;
      reg += theta[k]! * theta[k]!;
      if (grad) grad[k]! += l2 * theta[k]!;
      if (hess) hess[k * m + k]! += l2;
    }
  }
  if (hess) {
    // Only blocks c <= c2 were accumulated; mirror to the lower triangle.
    for (let r = 0; r < m; r++) for (let s = 0; s < r; s++) hess[r * m + s] = hess[s * m + r]!;
  }
  return loss + 0.5 * l2 * reg;
}
