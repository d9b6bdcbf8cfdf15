import type { Migration } from 'kysely';
import * as createCoreTables from './2026_11_26_0001_create_core_tables.js';
import * as createPredictions from './2026_11_26_0002_create_predictions.js';
import * as createLabels from './2026_11_26_0003_create_labels.js';
import * as createRescoreChunks from './2026_11_26_0004_create_rescore_chunks.js';
import * as addTenantsAndApiKeys from './2026_11_26_0005_add_tenants_and_api_keys.js';
import * as addNightScoring from './2026_11_30_0001_add_night_scoring.js';
import * as grantOperatorScope from './2026_11_30_0101_grant_operator_scope.js';
import * as addApiKeyExpiry from './2026_11_30_0102_add_api_key_expiry.js';
import * as createAuditEvents from './2026_11_30_0103_create_audit_events.js';
import * as addNights from './2026_11_30_0104_add_nights.js';
import * as createErasures from './2026_11_30_0201_create_erasures.js';
import * as addRetentionIndexes from './2026_11_30_0202_add_retention_indexes.js';
import * as createWebhooks from './2026_11_30_0203_create_webhooks.js';
import * as addJobsUnfinishedTypeIndex from './2026_11_30_0301_add_jobs_unfinished_type_index.js';
import * as storePayloadFeaturesUncompressed from './2026_11_30_0401_store_payload_features_uncompressed.js';
import * as checkRecordingPerStatement from './2026_12_01_0001_check_recording_per_statement.js';
import * as addWebhookAttemptsAtIndex from './2026_12_01_0002_add_webhook_attempts_at_index.js';
import * as createModelChoice from './2026_12_01_0003_create_model_choice.js';

/** Append-only: add new migrations at the end, never edit one that has shipped. */
export const migrations: Readonly<Record<string, Migration>> = {
  '2026_11_26_0001_create_core_tables': createCoreTables,
  '2026_11_26_0002_create_predictions': createPredictions,
  '2026_11_26_0003_create_labels': createLabels,
  '2026_11_26_0004_create_rescore_chunks': createRescoreChunks,
  '2026_11_26_0005_add_tenants_and_api_keys': addTenantsAndApiKeys,
  '2026_11_30_0001_add_night_scoring': addNightScoring,
  '2026_11_30_0101_grant_operator_scope': grantOperatorScope,
  '2026_11_30_0102_add_api_key_expiry': addApiKeyExpiry,
  '2026_11_30_0103_create_audit_events': createAuditEvents,
  '2026_11_30_0104_add_nights': addNights,
  '2026_11_30_0201_create_erasures': createErasures,
  '2026_11_30_0202_add_retention_indexes': addRetentionIndexes,
  '2026_11_30_0203_create_webhooks': createWebhooks,
  '2026_11_30_0301_add_jobs_unfinished_type_index': addJobsUnfinishedTypeIndex,
  '2026_11_30_0401_store_payload_features_uncompressed': storePayloadFeaturesUncompressed,
  '2026_12_01_0001_check_recording_per_statement': checkRecordingPerStatement,
  '2026_12_01_0002_add_webhook_attempts_at_index': addWebhookAttemptsAtIndex,
  '2026_12_01_0003_create_model_choice': createModelChoice,
};
