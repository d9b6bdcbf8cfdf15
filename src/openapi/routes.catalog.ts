import { z } from 'zod';
import { AuditQuery } from '../audit/audit.routes.js';
import { AuditPage } from '../audit/audit.schemas.js';
import { CreateApiKeyBody, ListApiKeysQuery } from '../auth/api-keys.routes.js';
import { ApiKeyList, CreatedApiKey } from '../auth/api-keys.schemas.js';
import { CreateDeviceBody, Device, DevicePage, ListDevicesQuery, PatchDeviceBody } from '../devices/devices.schemas.js';
import { Liveness, ReadinessBody } from '../health/health.schemas.js';
import { NightsQuery, NightsResponse, SegmentsQuery, SegmentsResponse, TrendsQuery, TrendsResponse } from '../nights/nights.schemas.js';
import { EpochPage, ListRecordingsQuery, Recording, RecordingDetail, RecordingPage, RecordingWithNight } from '../recordings/recordings.schemas.js';
import { RecordingEvaluationQuery } from '../evaluation/evaluation.routes.js';
import { ModelEvaluation, RecordingEvaluation } from '../evaluation/evaluation.schemas.js';
import { IngestAccepted, IngestBody } from '../ingest/ingest.schemas.js';
import { Job, JobAccepted } from '../jobs/jobs.schemas.js';
import { LabelPage, LabelsWritten, ListLabelsQuery } from '../labels/labels.routes.js';
import { EraseAccepted } from '../erase/erase.schemas.js';
import { ExportQuery } from '../export/export.routes.js';
import { CreateWebhookBody, DeliveryList, ListDeliveriesQuery, Webhook, WebhookCreated, WebhookList } from '../webhooks/webhooks.schemas.js';
import { PutLabelsBody } from '../labels/labels.input.js';
import { ReloadBody } from '../models/models.routes.js';
import { Model, ModelList, ReloadOutcome } from '../models/models.schemas.js';
import { InlinePredictBody, InlinePredictions, ListPredictionsQuery, PredictionPage, RecordingPredictBody } from '../predictions/predict.schemas.js';
import { CreateRecordingBody, ListEpochsQuery } from '../recordings/recordings.routes.js';
import { RescoreBody } from '../rescore/rescore.schemas.js';
import { HypnogramQuery } from '../summary/hypnogram.service.js';
import { Summary } from '../summary/summary.schemas.js';
import type { ResponseDoc, RouteDoc } from './openapi.document.js';

const text = (description: string, contentType: string, status = 200): ResponseDoc => ({ status, description, contentType });
const json = (description: string, schema: z.ZodType, status = 200): ResponseDoc => ({ status, description, schema });

/** Named response schemas: components.schemas of the document, so generated clients can name them. */
export const COMPONENTS: Readonly<Record<string, z.ZodType>> = {
  Device, DevicePage, Recording, RecordingDetail, RecordingWithNight, RecordingPage, EpochPage, IngestAccepted, Job, JobAccepted,
  InlinePredictions, PredictionPage, Summary, NightsResponse, TrendsResponse, SegmentsResponse, LabelsWritten, LabelPage,
  RecordingEvaluation, ModelEvaluation, Model, ModelList, ReloadOutcome, ApiKeyList, CreatedApiKey, AuditPage, Readiness: ReadinessBody,
  EraseAccepted, Webhook, WebhookCreated, WebhookList, DeliveryList,
};

const OpenApiJson = z.record(z.string(), z.unknown()).describe('an OpenAPI 3.1 document');

/** Every route the app serves, described from the schemas that validate it (a test keeps this complete). */
export const ROUTES: readonly RouteDoc[] = [
  { method: 'get', path: '/healthz', operationId: 'getLiveness', summary: 'Liveness', tag: 'operations', scope: null, success: json('alive', Liveness) },
  { method: 'get', path: '/readyz', operationId: 'getReadiness', summary: 'Readiness: database, migrations, Redis, a queue round trip, active model (names of failing checks; reasons for the operator token)', tag: 'operations', scope: null, success: json('ready', ReadinessBody), also: [json('not ready: `failed` names the checks', ReadinessBody, 503)] },
  { method: 'get', path: '/metrics', operationId: 'getMetrics', summary: 'Prometheus metrics (token when METRICS_TOKEN is set)', tag: 'operations', scope: null, success: { status: 200, description: 'Prometheus text format; OpenMetrics with trace-id exemplars when METRICS_EXEMPLARS=true', contentType: 'text/plain', alsoContentTypes: ['application/openmetrics-text'] }, errors: [401] },
  { method: 'get', path: '/openapi.json', operationId: 'getOpenApiDocument', summary: 'This document', tag: 'operations', scope: null, success: json('OpenAPI 3.1', OpenApiJson) },
  { method: 'get', path: '/docs', operationId: 'getDocsPage', summary: 'Browsable API description', tag: 'operations', scope: null, success: text('HTML', 'text/html') },
  { method: 'post', path: '/v1/devices', operationId: 'createDevice', summary: 'Create a device (200 with the existing one for a known external_id)', tag: 'devices', scope: 'ingest', body: CreateDeviceBody, success: json('created', Device, 201), also: [json('the existing device of this external_id', Device)], errors: [422] },
  { method: 'get', path: '/v1/devices', operationId: 'listDevices', summary: "The tenant's devices, oldest first, paged", tag: 'devices', scope: 'read', query: ListDevicesQuery, success: json('a page of devices', DevicePage) },
  { method: 'get', path: '/v1/devices/{id}', operationId: 'getDevice', summary: 'A device', tag: 'devices', scope: 'read', success: json('the device', Device), errors: [404] },
  { method: 'patch', path: '/v1/devices/{id}', operationId: 'updateDevice', summary: "Change a device's name, firmware or time zone", tag: 'devices', scope: 'ingest', body: PatchDeviceBody, success: json('the device', Device), errors: [404, 409, 422] },
  { method: 'delete', path: '/v1/devices/{id}', operationId: 'eraseDevice', summary: 'Erase a device and everything of it (202 with an erase job; writes into it answer 409 being_erased meanwhile)', tag: 'your users\' data', scope: 'admin', success: json('erase accepted (or the running one)', EraseAccepted, 202), errors: [404] },
  { method: 'get', path: '/v1/devices/{id}/export', operationId: 'exportDevice', summary: 'Everything the tenant holds for a device, streamed as NDJSON: device, then per recording (oldest first) recording, epochs, predictions of every version, labels, night', tag: 'your users\' data', scope: 'read', success: { status: 200, description: 'NDJSON: one JSON object per line (device, then per recording oldest first: recording, epochs, predictions of every version, labels, night)', contentType: 'application/x-ndjson' }, errors: [404, 406] },
  { method: 'get', path: '/v1/devices/{id}/nights', operationId: 'listDeviceNights', summary: "A device's nights in a range of local dates, with quality and one version's summary", tag: 'nights', scope: 'read', query: NightsQuery, success: json('nights', NightsResponse), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/devices/{id}/trends', operationId: 'getDeviceTrends', summary: "Per local date, the main sleep's figures and rolling means over the window before it", tag: 'nights', scope: 'read', query: TrendsQuery, success: json('trends', TrendsResponse), errors: [404, 409, 422] },
  { method: 'post', path: '/v1/recordings', operationId: 'createRecording', summary: 'Create a recording', tag: 'recordings', scope: 'ingest', body: CreateRecordingBody, success: json('created', Recording, 201), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/recordings', operationId: 'listRecordings', summary: "The tenant's recordings (of a device) with started_at in [from, to), newest first, paged", tag: 'recordings', scope: 'read', query: ListRecordingsQuery, success: json('a page of recordings', RecordingPage), errors: [404] },
  { method: 'get', path: '/v1/recordings/{id}', operationId: 'getRecording', summary: 'A recording with epoch count and index bounds', tag: 'recordings', scope: 'read', success: json('the recording', RecordingDetail), errors: [404] },
  { method: 'delete', path: '/v1/recordings/{id}', operationId: 'eraseRecording', summary: 'Erase a recording and everything of it (202 with an erase job; writes into it answer 409 being_erased meanwhile)', tag: 'your users\' data', scope: 'admin', success: json('erase accepted (or the running one)', EraseAccepted, 202), errors: [404] },
  { method: 'get', path: '/v1/recordings/{id}/export', operationId: 'exportRecording', summary: 'One recording streamed as NDJSON, or with Accept: text/csv one row per epoch (index, time, features by name, a version\'s stage and probabilities)', tag: 'your users\' data', scope: 'read', query: ExportQuery, success: { status: 200, description: 'NDJSON (one JSON object per line), or with Accept: text/csv one row per epoch', contentType: 'application/x-ndjson', alsoContentTypes: ['text/csv'] }, errors: [404, 406, 422] },
  { method: 'post', path: '/v1/recordings/{id}:close', operationId: 'closeRecording', summary: 'Close a recording (safe to repeat): its night is dated and stored; later ingests answer 409', tag: 'nights', scope: 'ingest', success: json('the closed recording', RecordingWithNight), errors: [404, 409] },
  { method: 'get', path: '/v1/recordings/{id}/segments', operationId: 'getRecordingSegments', summary: 'The hypnogram as runs of one stage, short wakes folded and listed (Fitbit levels.data / shortData)', tag: 'nights', scope: 'read', query: SegmentsQuery, success: json('segments', SegmentsResponse), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/recordings/{id}/epochs', operationId: 'listRecordingEpochs', summary: 'Stored epochs in [from, to), paged', tag: 'recordings', scope: 'read', query: ListEpochsQuery, success: json('a page of epochs', EpochPage), errors: [404] },
  { method: 'post', path: '/v1/epochs:ingest', operationId: 'ingestEpochs', summary: 'Accept epochs (list or packed form) for asynchronous storage and scoring', tag: 'ingest', scope: 'ingest', body: IngestBody, success: json('accepted: durable, poll the job', IngestAccepted, 202), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/jobs/{id}', operationId: 'getJob', summary: 'Poll a job', tag: 'jobs', scope: 'read', success: json('the job', Job), errors: [404] },
  { method: 'delete', path: '/v1/jobs/{id}', operationId: 'cancelJob', summary: 'Cancel a re-score job', tag: 'jobs', scope: 'admin', success: json('the cancelled job', Job), errors: [404, 409] },
  { method: 'post', path: '/v1/predict', operationId: 'predict', summary: 'Inline epochs → predictions now; or {recording_id} → 202 job', tag: 'predictions', scope: 'ingest', body: z.union([InlinePredictBody, RecordingPredictBody]), success: json('predictions of the inline epochs', InlinePredictions), also: [json('a job scoring the recording', JobAccepted, 202)], errors: [404, 409, 422] },
  { method: 'get', path: '/v1/recordings/{id}/predictions', operationId: 'listRecordingPredictions', summary: 'Stored predictions of one model version', tag: 'predictions', scope: 'read', query: ListPredictionsQuery, success: json('a page of predictions', PredictionPage), errors: [404, 422] },
  { method: 'get', path: '/v1/recordings/{id}/summary', operationId: 'getRecordingSummary', summary: 'Sleep statistics of the predicted hypnogram', tag: 'reports', scope: 'read', query: HypnogramQuery, success: json('summary', Summary), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/recordings/{id}/hypnogram.svg', operationId: 'getRecordingHypnogramSvg', summary: 'Hypnogram picture', tag: 'reports', scope: 'read', query: HypnogramQuery, success: text('SVG', 'image/svg+xml'), errors: [404, 409, 422] },
  { method: 'get', path: '/recordings/{id}', operationId: 'getRecordingReportPage', summary: 'HTML report page of one night', tag: 'reports', scope: 'read', query: HypnogramQuery, success: text('HTML', 'text/html'), errors: [404, 409, 422] },
  { method: 'put', path: '/v1/recordings/{id}/labels', operationId: 'putRecordingLabels', summary: 'Store ground-truth stages', tag: 'evaluation', scope: 'ingest', body: PutLabelsBody, success: json('stored', LabelsWritten), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/recordings/{id}/labels', operationId: 'listRecordingLabels', summary: 'Stored ground-truth stages', tag: 'evaluation', scope: 'read', query: ListLabelsQuery, success: json('a page of labels', LabelPage), errors: [404] },
  { method: 'get', path: '/v1/recordings/{id}/evaluation', operationId: 'getRecordingEvaluation', summary: 'Model predictions against ground truth for one night', tag: 'evaluation', scope: 'read', query: RecordingEvaluationQuery, success: json('evaluation', RecordingEvaluation), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/models/{version}/evaluation', operationId: 'getModelEvaluation', summary: 'Pooled evaluation over every labelled recording', tag: 'evaluation', scope: 'read', success: json('evaluation', ModelEvaluation), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/models', operationId: 'listModels', summary: 'The model registry', tag: 'models', scope: 'read', success: json('models', ModelList) },
  { method: 'get', path: '/v1/models/{version}', operationId: 'getModel', summary: 'One model version', tag: 'models', scope: 'read', success: json('model', Model), errors: [404, 422] },
  { method: 'post', path: '/v1/models/reload', operationId: 'reloadModels', summary: 'Re-read configuration and folders; switch every process', tag: 'models', scope: 'admin', body: ReloadBody, success: json('switched', ReloadOutcome), errors: [404, 422] },
  { method: 'post', path: '/v1/rescore', operationId: 'startRescore', summary: 'Re-score stored epochs with a model version', tag: 'models', scope: 'admin', body: RescoreBody, success: json('accepted: poll the job', JobAccepted, 202), errors: [404, 422] },
  { method: 'post', path: '/v1/api-keys', operationId: 'createApiKey', summary: 'Create an API key (shown once)', tag: 'keys', scope: 'admin', body: CreateApiKeyBody, success: json('created: the key is in `key`, shown once', CreatedApiKey, 201), errors: [422] },
  { method: 'get', path: '/v1/api-keys', operationId: 'listApiKeys', summary: "The tenant's API keys (operators: any tenant's; hashes never leave the server)", tag: 'keys', scope: 'admin', query: ListApiKeysQuery, success: json('keys', ApiKeyList) },
  { method: 'delete', path: '/v1/api-keys/{id}', operationId: 'revokeApiKey', summary: 'Revoke an API key', tag: 'keys', scope: 'admin', success: { status: 204, description: 'revoked' }, errors: [404] },
  { method: 'post', path: '/v1/webhooks', operationId: 'createWebhook', summary: 'Register a webhook endpoint for some events (the signing secret is shown once)', tag: 'webhooks', scope: 'admin', body: CreateWebhookBody, success: json('created', WebhookCreated, 201), errors: [409, 422] },
  { method: 'get', path: '/v1/webhooks', operationId: 'listWebhooks', summary: "The tenant's webhook endpoints (no secrets)", tag: 'webhooks', scope: 'admin', success: json('endpoints', WebhookList) },
  { method: 'get', path: '/v1/webhooks/{id}', operationId: 'getWebhook', summary: 'One webhook endpoint (disabled_at set when it failed for too long)', tag: 'webhooks', scope: 'admin', success: json('the endpoint', Webhook), errors: [404] },
  { method: 'delete', path: '/v1/webhooks/{id}', operationId: 'deleteWebhook', summary: 'Delete a webhook endpoint (its queued deliveries become no-ops)', tag: 'webhooks', scope: 'admin', success: { status: 204, description: 'deleted' }, errors: [404] },
  { method: 'get', path: '/v1/webhooks/{id}/deliveries', operationId: 'listWebhookDeliveries', summary: 'Recent delivery attempts, newest first, with status codes and errors', tag: 'webhooks', scope: 'admin', query: ListDeliveriesQuery, success: json('attempts', DeliveryList), errors: [404] },
  { method: 'get', path: '/v1/audit', operationId: 'listAuditEvents', summary: 'Who created or revoked keys, reloaded models, started or cancelled re-scores; paged, oldest first', tag: 'operations', scope: 'operator', query: AuditQuery, success: json('a page of audit records', AuditPage) },
  { method: 'get', path: '/admin/queues', operationId: 'getQueueBoard', summary: 'Bull Board (admin; read-only for read keys); Basic auth with the key as password', tag: 'operations', scope: 'admin', security: [{ basic: [] }, { bearer: [] }], success: text('HTML', 'text/html') },
];
