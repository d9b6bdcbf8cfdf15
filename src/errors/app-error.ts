/** Stable error codes clients may branch on; never rename one that shipped. */
export const ERROR_CODES = [
  'bad_request',
  'invalid_json',
  'validation_failed',
  'not_found',
  'device_not_found',
  'recording_not_found',
  'job_not_found',
  'model_not_found',
  'invalid_epoch_seconds',
  'unknown_feature_schema',
  'feature_schema_mismatch',
  'invalid_features',
  'too_many_epochs',
  'payload_too_large',
  'invalid_model',
  'invalid_range',
  'invalid_cursor',
  'unsupported_media_type',
  'conflict',
  'invalid_configuration',
  'model_unavailable',
  'unauthorized',
  'forbidden',
  'rate_limited',
  'api_key_not_found',
  'internal_error',
  'service_unavailable',
  'overloaded',
  'invalid_labels',
  'no_predictions',
  'predictions_inconsistent',
  'no_labels',
  'job_not_cancellable',
  'job_already_finished',
  'epoch_index_out_of_range',
  'started_at_out_of_range',
  'recording_closed',
  'being_erased',
  'not_acceptable',
  'outside_retention',
  'webhook_url_not_allowed',
  'webhook_not_found',
  'webhooks_not_configured',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
export type ErrorDetails = Readonly<Record<string, unknown>>;

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  toJSON(): { error: { code: ErrorCode; message: string; details: ErrorDetails } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export const notFound = (code: ErrorCode, message: string, details?: ErrorDetails) =>
  new AppError(404, code, message, details);
export const conflict = (code: ErrorCode, message: string, details?: ErrorDetails) =>
  new AppError(409, code, message, details);
export const tooLarge = (code: ErrorCode, message: string, details?: ErrorDetails) =>
  new AppError(413, code, message, details);
export const unprocessable = (code: ErrorCode, message: string, details?: ErrorDetails) =>
  new AppError(422, code, message, details);
