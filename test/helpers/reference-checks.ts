// The summary and evaluation of a stored, scored (and labelled) night checked against independent
// computations (test/helpers/hypnogram-reference.ts). Shared by the integration tests, which run
// them on synthetic nights, and test/real-data/, which runs them on real ones.

import { expect } from 'vitest';
import { request } from './http.js';
import { mapTruth, numpyAgreement, referenceAgreement, referenceStatistics } from './hypnogram-reference.js';
import type { Night } from './sleep-data.js';

/** A version's stored predictions of a recording, by epoch index. */
export async function storedPredictions(base: string, recordingId: string, version: string): Promise<Map<number, string>> {
  const res = await request(base, 'GET', `/v1/recordings/${recordingId}/predictions?model_version=${version}`);
  expect(res.status).toBe(200);
  return new Map(res.body.items.map((p: { epoch_index: number; stage: string }) => [p.epoch_index, p.stage]));
}

/** GET …/summary of a version equals the reference statistics of its stored predictions. */
export async function expectSummaryMatchesReference(base: string, recordingId: string, night: Night, version: string): Promise<void> {
  const predicted = await storedPredictions(base, recordingId, version);
  const first = Math.min(...night.indices);
  const last = Math.max(...night.indices);
  const res = await request(base, 'GET', `/v1/recordings/${recordingId}/summary?model_version=${version}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const s = res.body;
  const labels: string[] = s.labels;
  const ref = referenceStatistics(labels, first, last, (i) => predicted.get(i));
  // Epochs missing from the night (gaps) have no stored epoch and so no prediction: unscored.
  expect(ref.unscored_min).toBe((last - first + 1 - night.indices.length) / 2);
  expect(s.tib_min).toBe((last - first + 1) * 0.5);
  for (const key of ['tib_min', 'spt_min', 'tst_min', 'waso_min', 'sol_min', 'sol_5min_min', 'unscored_min', 'awakenings', 'rem_latency_min'] as const) {
    expect(s[key], key).toBe(ref[key]);
  }
  expect(s.se_pct).toBeCloseTo(ref.se_pct, 10);
  expect(s.sme_pct).toBeCloseTo(ref.sme_pct!, 10);
  expect(s.sfi_per_hour).toBeCloseTo(ref.awakenings / (ref.tst_min / 60), 10);
  expect(Object.keys(s.stages)).toEqual(labels);
  let pctSum = 0;
  for (const label of labels) {
    expect(s.stages[label].minutes, label).toBe(ref.minutes[label]);
    expect(s.stages[label].latency_min, label).toBe(ref.latency[label]);
    if (label === 'W') expect(s.stages[label].pct_tst).toBeNull();
    else {
      expect(s.stages[label].pct_tst).toBeCloseTo((100 * ref.minutes[label]!) / ref.tst_min, 10);
      pctSum += s.stages[label].pct_tst;
    }
  }
  expect(pctSum).toBeCloseTo(100, 10);
  const splitsNrem = labels.includes('LIGHT') || labels.includes('N2');
  if (splitsNrem) {
    const nremClasses = labels.filter((l) => l !== 'W' && l !== 'REM');
    expect(s.nrem.minutes).toBe(nremClasses.reduce((a, l) => a + ref.minutes[l]!, 0));
  } else expect(s.nrem).toBeNull();
  expect(s.transitions.labels).toEqual(labels);
  // Transitions count consecutive scored pairs; none spans a gap.
  const pairs = night.indices.slice(1).filter((i, k) => i === night.indices[k]! + 1).length;
  expect(s.transitions.counts.flat().reduce((a: number, b: number) => a + b, 0)).toBe(pairs);
}

/** Truth mapped onto the model's classes and the stored predictions, epoch by epoch. */
export async function truthAndPredictions(base: string, night: Night, recordingId: string, version: string, labels: readonly string[]) {
  const predicted = await storedPredictions(base, recordingId, version);
  const truth: string[] = [];
  const pred: string[] = [];
  night.indices.forEach((i, k) => {
    if (!predicted.has(i)) return;
    truth.push(mapTruth(night.stages[k]!, labels));
    pred.push(predicted.get(i)!);
  });
  return { truth, pred };
}

/**
 * GET …/evaluation of a version (the night's labels stored as scored) equals the reference agreement
 * of labels and stored predictions, and numpy's where python3 with numpy is installed.
 */
export async function expectEvaluationMatchesReference(base: string, recordingId: string, night: Night, version: string, isActive: boolean): Promise<void> {
  const res = await request(base, 'GET', `/v1/recordings/${recordingId}/evaluation${isActive ? '' : `?model_version=${version}`}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const e = res.body;
  expect(Object.keys(e).sort()).toEqual(['accuracy', 'cohen_kappa', 'confusion', 'labels', 'model_version', 'n', 'night', 'per_class', 'recording_id', 'unmapped'].sort());
  expect(e.model_version).toBe(version);
  const { truth, pred } = await truthAndPredictions(base, night, recordingId, version, e.labels);
  const ref = referenceAgreement(truth, pred, e.labels);
  expect(e.n).toBe(night.indices.length);
  expect(e.unmapped).toBe(0);
  expect(e.confusion).toEqual({ labels: e.labels, matrix: ref.matrix });
  expect(e.accuracy).toBeCloseTo(ref.accuracy, 12);
  expect(e.cohen_kappa).toBeCloseTo(ref.kappa, 12);
  expect(Object.keys(e.per_class)).toEqual(e.labels);
  for (const label of e.labels) {
    const got = e.per_class[label];
    const want = ref.perClass[label]!;
    expect(got.support).toBe(want.support);
    for (const key of ['precision', 'recall', 'f1'] as const) {
      if (want[key] === null) expect(got[key]).toBeNull();
      else expect(got[key]).toBeCloseTo(want[key]!, 12);
    }
  }
  const numpy = await numpyAgreement(truth, pred, e.labels);
  if (numpy) {
    expect(e.accuracy).toBeCloseTo(numpy.accuracy, 12);
    expect(e.cohen_kappa).toBeCloseTo(numpy.kappa, 12);
  } else console.warn('python3 with numpy not found: the numpy cross-check of the evaluation was skipped');
}
