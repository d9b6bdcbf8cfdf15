import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import type { LabelRow } from './labels.repository.js';
import { parseTruthStage, TRUTH_STAGES } from './stages.js';

export const PutLabelsBody = z.strictObject({
  labels: z
    .array(z.strictObject({ epoch_index: z.number().int(), stage: z.string() }))
    .min(1),
});
export type PutLabelsBody = z.infer<typeof PutLabelsBody>;

export interface LabelProblem {
  /** Position in the request's `labels` list. */
  readonly index: number;
  readonly epoch_index: number;
  readonly stage: string;
  readonly reason: string;
}

const MAX_REPORTED = 20;

/**
 * Checks stages and indices against the recording's stored epochs: an index is inside the recording
 * when 0 ≤ epoch_index ≤ the last stored epoch index (gaps inside count: the scorer saw them). Throws
 * 422 invalid_labels listing the first problems; returns the rows to store.
 */
export function checkLabels(items: PutLabelsBody['labels'], lastEpochIndex: number | null): LabelRow[] {
  const problems: LabelProblem[] = [];
  const seen = new Set<number>();
  const rows: LabelRow[] = [];
  items.forEach(({ epoch_index, stage }, index) => {
    const parsed = parseTruthStage(stage);
    const problem = (reason: string) => problems.push({ index, epoch_index, stage, reason });
    if (parsed === null) problem(`unknown stage; expected one of ${TRUTH_STAGES.join(', ')} (or R for REM)`);
    if (lastEpochIndex === null) problem('the recording has no stored epochs yet; ingest them first');
    else if (epoch_index < 0 || epoch_index > lastEpochIndex) problem(`epoch_index is outside the recording's epochs 0..${lastEpochIndex}`);
    if (seen.has(epoch_index)) problem('epoch_index appears more than once in this request');
    seen.add(epoch_index);
    if (parsed !== null) rows.push({ epoch_index, stage: parsed });
  });
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new AppError(422, 'invalid_labels', `labels[${first.index}] (epoch_index ${first.epoch_index}): ${first.reason}`, {
      problem_count: problems.length,
      problems: problems.slice(0, MAX_REPORTED),
    });
  }
  return rows;
}
