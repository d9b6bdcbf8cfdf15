import { AppError } from '../errors/app-error.js';
import { PermanentError } from '../errors/permanent-error.js';
import type { LoadedModel } from './model-loader.js';
import type { ModelRegistry } from './model-registry.js';

/**
 * The model version a job names. A 422 (the folder is broken here) is permanent; a 404 may be a
 * worker that has not reloaded yet, so it stays an ordinary, retried failure.
 */
export function resolveJobModel(registry: ModelRegistry, version: string): LoadedModel {
  try {
    return registry.resolve(version);
  } catch (err) {
    if (err instanceof AppError && err.statusCode === 422) throw new PermanentError(err.message, { cause: err });
    throw err;
  }
}
