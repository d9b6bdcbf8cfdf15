import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import { summarizeIssues } from '../http/validate.js';
import { invalidFeatures, type EpochInput } from './features.decoder.js';

export const FeatureValues = z.union([
  z.array(z.number()).describe('feature values in schema order'),
  z.record(z.string(), z.number()).describe('feature values keyed by feature name'),
  z.string().describe('base64 of little-endian float32 values in schema order'),
]);

export const EpochItem = z.strictObject({
  epoch_index: z.number().int().min(0).optional(),
  features: FeatureValues,
});

/**
 * Validates a request envelope; problems inside `epochs[k]` become 422 invalid_features naming the
 * epoch, everything else 422 validation_failed.
 */
export function parseEpochEnvelope<S extends z.ZodType>(schema: S, body: Record<string, unknown>, what: string): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) {
    rejectProtoFeatureKeys(body['epochs']);
    return parsed.data;
  }
  const issues = summarizeIssues(parsed.error);
  const epochIssue = parsed.error.issues.find((i) => i.path[0] === 'epochs' && typeof i.path[1] === 'number');
  if (epochIssue) {
    const position = epochIssue.path[1] as number;
    const item = (body['epochs'] as Array<Partial<EpochInput>> | undefined)?.[position];
    const epochIndex = typeof item?.epoch_index === 'number' ? item.epoch_index : null;
    const field = epochIssue.path.slice(2).map(String).join('.');
    const where = epochIndex === null ? `epochs[${position}]` : `epoch_index ${epochIndex}`;
    throw new AppError(422, 'invalid_features', `invalid features at ${where}: ${field || 'epoch'}: ${epochIssue.message}`, {
      epoch_index: epochIndex,
      position,
      reason: `${field || 'epoch'}: ${epochIssue.message}`,
      issues,
    });
  }
  const first = issues[0]!;
  throw new AppError(422, 'validation_failed', `invalid ${what}: ${first.path}: ${first.message}`, { issues });
}

/**
 * Features keyed by name may not name `__proto__`: JSON.parse makes it an own key, but the record
 * schema skips it, so it would be dropped silently instead of answered as an unknown feature.
 */
function rejectProtoFeatureKeys(epochs: unknown): void {
  if (!Array.isArray(epochs)) return;
  for (const epoch of epochs as Array<Partial<EpochInput>>) {
    const features = epoch.features;
    if (typeof features === 'object' && features !== null && !Array.isArray(features) && Object.hasOwn(features, '__proto__')) {
      invalidFeatures(typeof epoch.epoch_index === 'number' ? epoch.epoch_index : null, 'unknown feature "__proto__"', { unknown: ['__proto__'] });
    }
  }
}
