import { describe, expect, it } from 'vitest';
import { confusionByRecording, pooled, spread, toMetrics } from '../../src/evaluation/evaluation.metrics.js';
import { checkLabels } from '../../src/labels/labels.input.js';
import { parseTruthStage, truthClassIndex } from '../../src/labels/stages.js';
import { AppError } from '../../src/errors/app-error.js';

describe('truth stages', () => {
  it('accepts the AASM names and R for REM, nothing else', () => {
    expect(['W', 'N1', 'N2', 'N3', 'REM', 'R'].map(parseTruthStage)).toEqual(['W', 'N1', 'N2', 'N3', 'REM', 'REM']);
    expect(['w', 'N4', 'S3', '', 'rem', 'NREM'].map(parseTruthStage)).toEqual([null, null, null, null, null, null]);
  });

  it('maps onto every label set: N1/N2/N3 → NREM, N1/N2 → LIGHT, N3 → DEEP, non-W → SLEEP', () => {
    const map = (labels: string[]) => (['W', 'N1', 'N2', 'N3', 'REM'] as const).map((s) => labels[truthClassIndex(s, labels)]);
    expect(map(['W', 'SLEEP'])).toEqual(['W', 'SLEEP', 'SLEEP', 'SLEEP', 'SLEEP']);
    expect(map(['W', 'NREM', 'REM'])).toEqual(['W', 'NREM', 'NREM', 'NREM', 'REM']);
    expect(map(['W', 'LIGHT', 'DEEP', 'REM'])).toEqual(['W', 'LIGHT', 'LIGHT', 'DEEP', 'REM']);
    expect(map(['W', 'N1', 'N2', 'N3', 'REM'])).toEqual(['W', 'N1', 'N2', 'N3', 'REM']);
    expect(truthClassIndex('N2', ['W', 'REM'])).toBe(-1);
  });
});

describe('checkLabels', () => {
  const problems = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).statusCode).toBe(422);
      expect((err as AppError).code).toBe('invalid_labels');
      return (err as AppError).details['problems'] as { index: number; reason: string }[];
    }
    throw new Error('expected invalid_labels');
  };

  it('returns rows with REM for R', () => {
    expect(checkLabels([{ epoch_index: 0, stage: 'R' }, { epoch_index: 9, stage: 'N2' }], 9)).toEqual([
      { epoch_index: 0, stage: 'REM' },
      { epoch_index: 9, stage: 'N2' },
    ]);
  });

  it('lists every problem: unknown stage, outside 0..last, repeated, no epochs', () => {
    const list = problems(() => checkLabels([{ epoch_index: 0, stage: 'X' }, { epoch_index: 10, stage: 'W' }, { epoch_index: 0, stage: 'W' }, { epoch_index: -1, stage: 'W' }], 9));
    expect(list.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    expect(problems(() => checkLabels([{ epoch_index: 0, stage: 'W' }], null))[0]!.reason).toMatch(/no stored epochs/);
  });
});

describe('evaluation metrics from pair counts', () => {
  const labels = ['W', 'NREM', 'REM'];
  const pairs = [
    { recording_id: 'a', truth: 'W', predicted: 'W', n: 3 },
    { recording_id: 'a', truth: 'N2', predicted: 'NREM', n: 4 },
    { recording_id: 'a', truth: 'N3', predicted: 'W', n: 1 },
    { recording_id: 'a', truth: 'REM', predicted: 'REM', n: 2 },
    { recording_id: 'b', truth: 'N1', predicted: 'REM', n: 2 },
    { recording_id: 'b', truth: 'W', predicted: 'W', n: 2 },
  ];

  it('maps truth onto the model classes per recording and pools by summing', () => {
    const recordings = confusionByRecording(labels, pairs);
    expect(recordings.map((r) => [r.recordingId, r.matrix.counts, r.matrix.total])).toEqual([
      ['a', [[3, 0, 0], [1, 4, 0], [0, 0, 2]], 10],
      ['b', [[2, 0, 0], [0, 0, 2], [0, 0, 0]], 4],
    ]);
    const all = toMetrics(pooled(labels, recordings));
    expect(all.n).toBe(14);
    expect(all.confusion).toEqual({ labels, matrix: [[5, 0, 0], [1, 4, 2], [0, 0, 2]] });
    expect(all.accuracy).toBeCloseTo(11 / 14, 12);
    expect(all.per_class['NREM']).toEqual({ precision: 1, recall: 4 / 7, f1: 8 / 11, support: 7 });
  });

  it('counts truth the label map cannot express as unmapped', () => {
    const [r] = confusionByRecording(['W', 'REM'], [{ recording_id: 'a', truth: 'N2', predicted: 'W', n: 5 }, { recording_id: 'a', truth: 'W', predicted: 'W', n: 1 }]);
    expect(r!.unmapped).toBe(5);
    expect(r!.matrix.total).toBe(1);
  });

  it('spread: mean, sample sd, min, max over defined values', () => {
    expect(spread([0.2, null, 0.4])).toEqual({ n: 2, mean: expect.closeTo(0.3, 12), sd: expect.closeTo(Math.SQRT2 * 0.1, 12), min: 0.2, max: 0.4 });
    expect(spread([0.5])).toEqual({ n: 1, mean: 0.5, sd: null, min: 0.5, max: 0.5 });
    expect(spread([null])).toEqual({ n: 0, mean: null, sd: null, min: null, max: null });
  });
});
