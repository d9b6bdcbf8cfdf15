// Independent reference computations for integration tests: written from the definitions, sharing no
// code with src/summary or src/stats, so that agreement means something.

export interface ReferenceStats {
  tib_min: number;
  spt_min: number;
  tst_min: number;
  waso_min: number;
  sol_min: number | null;
  sol_5min_min: number | null;
  se_pct: number;
  sme_pct: number | null;
  unscored_min: number;
  awakenings: number;
  rem_latency_min: number | null;
  minutes: Record<string, number>;
  latency: Record<string, number | null>;
}

/** Statistics of slots first..last, `stageAt(i)` the predicted stage or undefined (unscored). */
export function referenceStatistics(labels: readonly string[], first: number, last: number, stageAt: (i: number) => string | undefined): ReferenceStats {
  const slots: (string | undefined)[] = [];
  for (let i = first; i <= last; i++) slots.push(stageAt(i));
  const asleep = slots.map((s) => s !== undefined && s !== 'W');
  const onset = asleep.indexOf(true);
  const end = asleep.lastIndexOf(true);
  const spt = onset < 0 ? [] : slots.slice(onset, end + 1);
  const tst = spt.filter((s) => s !== undefined && s !== 'W').length;
  let awakenings = 0;
  for (let i = 1; i < spt.length; i++) if (spt[i] === 'W' && spt[i - 1] !== undefined && spt[i - 1] !== 'W') awakenings++;
  const minutes: Record<string, number> = {};
  const latency: Record<string, number | null> = {};
  for (const label of labels) {
    minutes[label] = slots.filter((s) => s === label).length / 2;
    const at = slots.indexOf(label);
    latency[label] = at < 0 ? null : at / 2;
  }
  const firstRem = slots.indexOf('REM');
  // Persistent sleep: the first window of 10 epochs (5 minutes) that are all sleep.
  let persistent = -1;
  for (let i = 0; i + 10 <= slots.length && persistent < 0; i++) if (asleep.slice(i, i + 10).every(Boolean)) persistent = i;
  return {
    tib_min: slots.length / 2,
    spt_min: spt.length / 2,
    tst_min: tst / 2,
    waso_min: spt.filter((s) => s === 'W').length / 2,
    sol_min: onset < 0 ? null : onset / 2,
    sol_5min_min: persistent < 0 ? null : persistent / 2,
    se_pct: (100 * tst) / slots.length,
    sme_pct: spt.length === 0 ? null : (100 * tst) / spt.length,
    unscored_min: slots.filter((s) => s === undefined).length / 2,
    awakenings,
    rem_latency_min: firstRem < 0 || onset < 0 ? null : (firstRem - onset) / 2,
    minutes,
    latency,
  };
}

/** Scored stage (CSV spelling, R for REM) → class name of a label set, from the table. */
export function mapTruth(stage: string, labels: readonly string[]): string {
  const s = stage === 'R' ? 'REM' : stage;
  const key = labels.join('/');
  if (key === 'W/N1/N2/N3/REM') return s;
  if (key === 'W/NREM/REM') return s === 'W' || s === 'REM' ? s : 'NREM';
  if (key === 'W/LIGHT/DEEP/REM') return s === 'N1' || s === 'N2' ? 'LIGHT' : s === 'N3' ? 'DEEP' : s;
  if (key === 'W/SLEEP') return s === 'W' ? 'W' : 'SLEEP';
  throw new Error(`no reference mapping for ${key}`);
}

export interface ReferenceAgreement {
  n: number;
  accuracy: number;
  kappa: number;
  matrix: number[][];
  perClass: Record<string, { precision: number | null; recall: number | null; f1: number | null; support: number }>;
}

/** Accuracy, Cohen's kappa (p_o − p_e)/(1 − p_e), matrix (truth rows) and per-class metrics. */
export function referenceAgreement(truth: readonly string[], predicted: readonly string[], labels: readonly string[]): ReferenceAgreement {
  const n = truth.length;
  const matrix = labels.map((t) => labels.map((p) => truth.filter((x, i) => x === t && predicted[i] === p).length));
  const agree = truth.filter((x, i) => x === predicted[i]).length;
  const po = agree / n;
  const pe = labels.reduce((s, l) => s + (truth.filter((x) => x === l).length / n) * (predicted.filter((x) => x === l).length / n), 0);
  const perClass: ReferenceAgreement['perClass'] = {};
  labels.forEach((l, k) => {
    const tp = matrix[k]![k]!;
    const support = truth.filter((x) => x === l).length;
    const called = predicted.filter((x) => x === l).length;
    const precision = called === 0 ? null : tp / called;
    const recall = support === 0 ? null : tp / support;
    const f1 = support + called === 0 ? null : (2 * tp) / (support + called);
    perClass[l] = { precision, recall, f1, support };
  });
  return { n, accuracy: po, kappa: (po - pe) / (1 - pe), matrix, perClass };
}

/**
 * Runs numpy (when python3 with numpy is installed) on the same arrays: a second opinion. The child
 * runs asynchronously: a blocking spawnSync held up the test process's event loop for as long as
 * python took to start (seconds on a loaded machine), so the HTTP client could not retire its idle
 * keep-alive socket before the in-process server closed it, and the next request failed with
 * ECONNRESET.
 */
export async function numpyAgreement(truth: readonly string[], predicted: readonly string[], labels: readonly string[]): Promise<{ accuracy: number; kappa: number } | null> {
  const { spawn } = await import('node:child_process');
  const script = [
    'import json, sys',
    'import numpy as np',
    'd = json.load(sys.stdin)',
    'L = d["labels"]; t = np.array([L.index(x) for x in d["truth"]]); p = np.array([L.index(x) for x in d["pred"]])',
    'k = len(L); m = np.zeros((k, k)); np.add.at(m, (t, p), 1)',
    'n = m.sum(); po = np.trace(m) / n; pe = (m.sum(1) * m.sum(0)).sum() / n / n',
    'print(json.dumps({"accuracy": po, "kappa": (po - pe) / (1 - pe)}))',
  ].join('\n');
  const run = await new Promise<{ status: number | null; stdout: string }>((resolve) => {
    const child = spawn('python3', ['-c', script], { stdio: ['pipe', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', () => resolve({ status: null, stdout }));
    child.on('close', (status) => resolve({ status, stdout }));
    child.stdin.on('error', () => {}); // python3 missing: 'error' above answers
    child.stdin.end(JSON.stringify({ labels, truth, pred: predicted }));
  });
  if (run.status !== 0) return null;
  return JSON.parse(run.stdout) as { accuracy: number; kappa: number };
}
