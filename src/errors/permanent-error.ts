/**
 * A failure no retry can fix (stored data the model cannot read, a model folder broken on this
 * host): the worker wrapper fails such a job at once instead of spending its attempts.
 */
export class PermanentError extends Error {
  override readonly name: string = 'PermanentError';
}
