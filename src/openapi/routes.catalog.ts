import { z } from 'zod';
import { AuditQuery } from '../audit/audit.routes.js';
import { CreateApiKeyBody, ListApiKeysQuery } from '../auth/api-keys.routes.js';
import { CreateDeviceBody, Device, DevicePage, ListDevicesQuery, PatchDeviceBody } from '../devices/devices.schemas.js';
import { NightsQuery, NightsResponse, SegmentsQuery, SegmentsResponse, TrendsQuery, TrendsResponse } from '../nights/nights.schemas.js';
import { ListRecordingsQuery, RecordingPage, RecordingWithNight } from '../recordings/recordings.schemas.js';
import { RecordingEvaluationQuery } from '../evaluation/evaluation.routes.js';
import { ModelEvaluation, RecordingEvaluation } from '../evaluation/evaluation.schemas.js';
import { IngestBody } from '../ingest/ingest.schemas.js';
import { EraseAccepted } from '../erase/erase.schemas.js';
import { ExportQuery } from '../export/export.routes.js';
import { ExportLine } from '../export/export.schemas.js';
import { CreateWebhookBody, DeliveryList, ListDeliveriesQuery, Webhook, WebhookCreated, WebhookList } from '../webhooks/webhooks.schemas.js';
import { ListLabelsQuery } from '../labels/labels.routes.js';
import { PutLabelsBody } from '../labels/labels.input.js';
import { ReloadBody } from '../models/models.routes.js';
import { InlinePredictBody, ListPredictionsQuery, RecordingPredictBody } from '../predictions/predict.schemas.js';
import { CreateRecordingBody, ListEpochsQuery } from '../recordings/recordings.routes.js';
import { RescoreBody } from '../rescore/rescore.schemas.js';
import { HypnogramQuery } from '../summary/hypnogram.service.js';
import type { RouteDoc } from './openapi.document.js';

const ok = (description: string, status = 200, contentType?: string) => ({ status, description, ...(contentType ? { contentType } : {}) });
const json = (description: string, schema: z.ZodType, status = 200) => ({ status, description, schema });

/** Every route the app serves, described from the schemas that validate it (a test keeps this complete). */
export const ROUTES: readonly RouteDoc[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', tag: 'operations', scope: null, success: ok('alive') },
  { method: 'get', path: '/readyz', summary: 'Readiness: database, migrations, Redis, a queue round trip, active model (names of failing checks; reasons for the operator token)', tag: 'operations', scope: null, success: ok('ready'), errors: [503] },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (token when METRICS_TOKEN is set)', tag: 'operations', scope: null, success: ok('metrics', 200, 'text/plain'), errors: [401] },
  { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'operations', scope: null, success: ok('OpenAPI 3.1') },
  { method: 'get', path: '/docs', summary: 'Browsable API description', tag: 'operations', scope: null, success: ok('HTML', 200, 'text/html') },
  { method: 'post', path: '/v1/devices', summary: 'Create a device (200 with the existing one for a known external_id)', tag: 'devices', scope: 'ingest', body: CreateDeviceBody, success: json('created', Device, 201), errors: [400, 422] },
  { method: 'get', path: '/v1/devices', summary: "The tenant's devices, oldest first, paged", tag: 'devices', scope: 'read', query: ListDevicesQuery, success: json('a page of devices', DevicePage), errors: [400] },
  { method: 'get', path: '/v1/devices/{id}', summary: 'A device', tag: 'devices', scope: 'read', success: json('the device', Device), errors: [404] },
  { method: 'patch', path: '/v1/devices/{id}', summary: "Change a device's name, firmware or time zone", tag: 'devices', scope: 'ingest', body: PatchDeviceBody, success: json('the device', Device), errors: [400, 404, 409, 422] },
  { method: 'delete', path: '/v1/devices/{id}', summary: 'Erase a device and everything of it (202 with an erase job; writes into it answer 409 being_erased meanwhile)', tag: 'your users\' data', scope: 'admin', success: json('erase accepted (or the running one)', EraseAccepted, 202), errors: [404] },
  { method: 'get', path: '/v1/devices/{id}/export', summary: 'Everything the tenant holds for a device, streamed as NDJSON: device, then per recording (oldest first) recording, epochs, predictions of every version, labels, night', tag: 'your users\' data', scope: 'read', success: { status: 200, description: 'NDJSON: each line one of these objects', contentType: 'application/x-ndjson', schema: ExportLine }, errors: [400, 404, 406] },
  { method: 'get', path: '/v1/devices/{id}/nights', summary: "A device's nights in a range of local dates, with quality and one version's summary", tag: 'nights', scope: 'read', query: NightsQuery, success: json('nights', NightsResponse), errors: [400, 404, 422] },
  { method: 'get', path: '/v1/devices/{id}/trends', summary: "Per local date, the main sleep's figures and rolling means over the window before it", tag: 'nights', scope: 'read', query: TrendsQuery, success: json('trends', TrendsResponse), errors: [400, 404, 422] },
  { method: 'post', path: '/v1/recordings', summary: 'Create a recording', tag: 'recordings', scope: 'ingest', body: CreateRecordingBody, success: ok('created', 201), errors: [400, 404, 409, 422] },
  { method: 'get', path: '/v1/recordings', summary: "The tenant's recordings (of a device) with started_at in [from, to), newest first, paged", tag: 'recordings', scope: 'read', query: ListRecordingsQuery, success: json('a page of recordings', RecordingPage), errors: [400, 404] },
  { method: 'get', path: '/v1/recordings/{id}', summary: 'A recording with epoch count and index bounds', tag: 'recordings', scope: 'read', success: ok('the recording'), errors: [404] },
  { method: 'delete', path: '/v1/recordings/{id}', summary: 'Erase a recording and everything of it (202 with an erase job; writes into it answer 409 being_erased meanwhile)', tag: 'your users\' data', scope: 'admin', success: json('erase accepted (or the running one)', EraseAccepted, 202), errors: [404] },
  { method: 'get', path: '/v1/recordings/{id}/export', summary: 'One recording streamed as NDJSON, or with Accept: text/csv one row per epoch (index, time, features by name, a version\'s stage and probabilities)', tag: 'your users\' data', scope: 'read', query: ExportQuery, success: { status: 200, description: 'NDJSON (each line one of these objects), or CSV with Accept: text/csv', contentType: 'application/x-ndjson', schema: ExportLine }, errors: [400, 404, 406, 422] },
  { method: 'post', path: '/v1/recordings/{id}:close', summary: 'Close a recording (safe to repeat): its night is dated and stored; later ingests answer 409', tag: 'nights', scope: 'ingest', success: json('the closed recording', RecordingWithNight), errors: [404, 409] },
  { method: 'get', path: '/v1/recordings/{id}/segments', summary: 'The hypnogram as runs of one stage, short wakes folded and listed (Fitbit levels.data / shortData)', tag: 'nights', scope: 'read', query: SegmentsQuery, success: json('segments', SegmentsResponse), errors: [400, 404, 409, 422] },
  { method: 'get', path: '/v1/recordings/{id}/epochs', summary: 'Stored epochs in [from, to), paged', tag: 'recordings', scope: 'read', query: ListEpochsQuery, success: ok('a page of epochs'), errors: [400, 404] },
  { method: 'post', path: '/v1/epochs:ingest', summary: 'Accept epochs (list or packed form) for asynchronous storage and scoring', tag: 'ingest', scope: 'ingest', body: IngestBody, success: ok('accepted', 202), errors: [400, 404, 409, 413, 422] },
  { method: 'get', path: '/v1/jobs/{id}', summary: 'Poll a job', tag: 'jobs', scope: 'read', success: ok('the job'), errors: [404] },
  { method: 'delete', path: '/v1/jobs/{id}', summary: 'Cancel a re-score job', tag: 'jobs', scope: 'admin', success: ok('cancelled'), errors: [404, 409] },
  { method: 'post', path: '/v1/predict', summary: 'Inline epochs → predictions now; or {recording_id} → 202 job', tag: 'predictions', scope: 'ingest', body: z.union([InlinePredictBody, RecordingPredictBody]), success: ok('predictions (or 202 job)'), errors: [400, 404, 409, 413, 422] },
  { method: 'get', path: '/v1/recordings/{id}/predictions', summary: 'Stored predictions of one model version', tag: 'predictions', scope: 'read', query: ListPredictionsQuery, success: ok('predictions'), errors: [400, 404] },
  { method: 'get', path: '/v1/recordings/{id}/summary', summary: 'Sleep statistics of the predicted hypnogram', tag: 'reports', scope: 'read', query: HypnogramQuery, success: ok('summary'), errors: [400, 404, 409] },
  { method: 'get', path: '/v1/recordings/{id}/hypnogram.svg', summary: 'Hypnogram picture', tag: 'reports', scope: 'read', query: HypnogramQuery, success: ok('SVG', 200, 'image/svg+xml'), errors: [400, 404, 409] },
  { method: 'get', path: '/recordings/{id}', summary: 'HTML report page of one night', tag: 'reports', scope: 'read', query: HypnogramQuery, success: ok('HTML', 200, 'text/html'), errors: [400, 404, 409] },
  { method: 'put', path: '/v1/recordings/{id}/labels', summary: 'Store ground-truth stages', tag: 'evaluation', scope: 'ingest', body: PutLabelsBody, success: ok('stored'), errors: [400, 404, 409, 422] },
  { method: 'get', path: '/v1/recordings/{id}/labels', summary: 'Stored ground-truth stages', tag: 'evaluation', scope: 'read', query: ListLabelsQuery, success: ok('labels'), errors: [400, 404] },
  { method: 'get', path: '/v1/recordings/{id}/evaluation', summary: 'Model predictions against ground truth for one night', tag: 'evaluation', scope: 'read', query: RecordingEvaluationQuery, success: json('evaluation', RecordingEvaluation), errors: [400, 404, 409] },
  { method: 'get', path: '/v1/models/{version}/evaluation', summary: 'Pooled evaluation over every labelled recording', tag: 'evaluation', scope: 'read', success: json('evaluation', ModelEvaluation), errors: [404, 409, 422] },
  { method: 'get', path: '/v1/models', summary: 'The model registry', tag: 'models', scope: 'read', success: ok('models') },
  { method: 'get', path: '/v1/models/{version}', summary: 'One model version', tag: 'models', scope: 'read', success: ok('model'), errors: [404, 422] },
  { method: 'post', path: '/v1/models/reload', summary: 'Re-read configuration and folders; switch every process', tag: 'models', scope: 'admin', body: ReloadBody, success: ok('switched'), errors: [404, 422] },
  { method: 'post', path: '/v1/rescore', summary: 'Re-score stored epochs with a model version', tag: 'models', scope: 'admin', body: RescoreBody, success: ok('accepted', 202), errors: [400, 404, 422] },
  { method: 'post', path: '/v1/api-keys', summary: 'Create an API key (shown once)', tag: 'keys', scope: 'admin', body: CreateApiKeyBody, success: ok('created', 201), errors: [400, 422] },
  { method: 'get', path: '/v1/api-keys', summary: "The tenant's API keys (operators: any tenant's; hashes never leave the server)", tag: 'keys', scope: 'admin', query: ListApiKeysQuery, success: ok('keys'), errors: [400] },
  { method: 'delete', path: '/v1/api-keys/{id}', summary: 'Revoke an API key', tag: 'keys', scope: 'admin', success: ok('revoked', 204), errors: [404] },
  { method: 'post', path: '/v1/webhooks', summary: 'Register a webhook endpoint for some events (the signing secret is shown once)', tag: 'webhooks', scope: 'admin', body: CreateWebhookBody, success: json('created', WebhookCreated, 201), errors: [400, 409, 422] },
  { method: 'get', path: '/v1/webhooks', summary: "The tenant's webhook endpoints (no secrets)", tag: 'webhooks', scope: 'admin', query: ListDeliveriesQuery.pick({}), success: json('endpoints', WebhookList), errors: [400] },
  { method: 'get', path: '/v1/webhooks/{id}', summary: 'One webhook endpoint (disabled_at set when it failed for too long)', tag: 'webhooks', scope: 'admin', success: json('the endpoint', Webhook), errors: [404] },
  { method: 'delete', path: '/v1/webhooks/{id}', summary: 'Delete a webhook endpoint (its queued deliveries become no-ops)', tag: 'webhooks', scope: 'admin', success: ok('deleted', 204), errors: [404] },
  { method: 'get', path: '/v1/webhooks/{id}/deliveries', summary: 'Recent delivery attempts, newest first, with status codes and errors', tag: 'webhooks', scope: 'admin', query: ListDeliveriesQuery, success: json('attempts', DeliveryList), errors: [400, 404] },
  { method: 'get', path: '/v1/audit', summary: 'Who created or revoked keys, reloaded models, started or cancelled re-scores; paged, oldest first', tag: 'operations', scope: 'operator', query: AuditQuery, success: ok('a page of audit records'), errors: [400] },
  { method: 'get', path: '/admin/queues', summary: 'Bull Board (admin; read-only for read keys); Basic auth with the key as password', tag: 'operations', scope: 'admin', success: ok('HTML', 200, 'text/html') },
];
