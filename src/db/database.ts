import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json = ColumnType<unknown, string, string>;

export interface DevicesTable {
  id: Generated<string>;
  external_id: string;
  name: string | null;
  model: string | null;
  firmware: string | null;
  metadata: Json;
  tenant: Generated<string>;
  /** IANA zone the device's nights are dated in. */
  timezone: Generated<string>;
  created_at: Generated<Date>;
}

export interface RecordingsTable {
  id: Generated<string>;
  device_id: string;
  started_at: Timestamp;
  feature_schema_version: string;
  epoch_seconds: number;
  metadata: Json;
  tenant: Generated<string>;
  created_at: Generated<Date>;
  /** Set once by POST /v1/recordings/{id}:close or the idle closer; later ingests answer 409. */
  closed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface EpochsTable {
  recording_id: string;
  epoch_index: number;
  ts: Timestamp;
  features: number[];
}

export interface PredictionsTable {
  recording_id: string;
  epoch_index: number;
  ts: Timestamp;
  model_version: string;
  stage: string;
  probabilities: number[];
  created_at: Generated<Date>;
}

/** Ground-truth stages (AASM names) of scored epochs. */
export interface LabelsTable {
  recording_id: string;
  epoch_index: number;
  stage: string;
  ts: Timestamp;
  updated_at: Generated<Date>;
}

/** Planning state of one bulk re-score job (the parent row in `jobs`). */
export interface RescorePlansTable {
  job_id: string;
  model_version: string;
  cursor: string | null;
  skipped: Generated<number>;
  planned_at: Date | null;
  created_at: Generated<Date>;
}

export const CHUNK_STATES = ['queued', 'active', 'completed', 'failed', 'cancelled'] as const;
export type ChunkState = (typeof CHUNK_STATES)[number];

/** Whole recordings (packed up to RESCORE_CHUNK_EPOCHS epochs) scored together within a re-score. */
export interface RescoreChunksTable {
  id: Generated<string>;
  job_id: string;
  /** The chunk's first recording (its key); `recording_ids` lists all of them. */
  recording_id: string;
  /** Chunks planned before whole-night re-scoring: one recording's index range; null since. */
  from_index: number | null;
  to_index: number | null;
  recording_ids: string[] | null;
  state: Generated<ChunkState>;
  epochs: number;
  scored: number | null;
  attempts: Generated<number>;
  error: ColumnType<unknown, string | null, string | null>;
  created_at: Generated<Date>;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Generated<Date>;
}

export const JOB_STATES = ['queued', 'active', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface JobsTable {
  id: string;
  type: string;
  state: JobState;
  recording_id: string | null;
  tenant: Generated<string>;
  params: Json;
  progress: Json;
  result: ColumnType<unknown, string | null, string | null>;
  error: ColumnType<unknown, string | null, string | null>;
  attempts: Generated<number>;
  /** An ingest job whose epochs are stored, waiting for a scoring of its night. */
  awaits_scoring: Generated<boolean>;
  created_at: Generated<Date>;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Generated<Date>;
}

/** Per recording: the scoring requests of context models (see night-scoring/). */
export interface NightScoringTable {
  recording_id: string;
  generation: Generated<number>;
  pending_since: Date | null;
  last_request_at: Date | null;
  scored_epochs: Generated<number>;
  settle_overrides: Generated<number>;
}

/** When a model version last scored a night. */
export interface NightScoresTable {
  recording_id: string;
  model_version: string;
  scored_at: Timestamp;
}

/** The accepted-but-not-yet-stored epochs of one ingest job: the durable half of a 202. */
export interface IngestPayloadsTable {
  job_id: string;
  recording_id: string;
  epoch_indices: number[];
  features: Buffer;
  n_features: number;
  created_at: Generated<Date>;
}

/** A closed recording's night: span, local date (in `timezone`, fixed at close) and main-sleep flag. */
export interface RecordingNightsTable {
  recording_id: string;
  device_id: string;
  timezone: string;
  /** `YYYY-MM-DD`, selected as text; null while nothing is stored. */
  night_date: ColumnType<string | null, string | null, string | null>;
  first_epoch_index: number | null;
  last_epoch_index: number | null;
  epoch_count: number;
  start_at: Date | null;
  end_at: Date | null;
  tib_min: number | null;
  is_main_sleep: Generated<boolean>;
  updated_at: Generated<Date>;
}

/** The stored summary of one closed recording's hypnogram for one model version. */
export interface NightSummariesTable {
  recording_id: string;
  model_version: string;
  night_date: ColumnType<string, string, string>;
  device_id: string;
  labels: string[];
  tib_min: number;
  unscored_min: number;
  tst_min: number;
  waso_min: number;
  sol_min: number | null;
  se_pct: number | null;
  rem_latency_min: number | null;
  stage_minutes: ColumnType<Record<string, number>, string, string>;
  summary: ColumnType<unknown, string, string>;
  computed_at: Generated<Date>;
}

export interface ApiKeysTable {
  id: Generated<string>;
  tenant: string;
  name: string | null;
  scopes: string[];
  key_hash: string;
  key_prefix: string;
  created_at: Generated<Date>;
  revoked_at: Date | null;
  /** Kept to the minute (see auth/key-usage.ts). */
  last_used_at: Date | null;
  /** Past this the key answers 401; null: never expires. */
  expires_at: Timestamp | null;
}

/** Operator-visible record of one security-relevant action (see audit/). */
export interface AuditEventsTable {
  id: Generated<number>;
  at: Generated<Date>;
  action: string;
  actor_kind: string;
  actor_tenant: string | null;
  actor_key_id: string | null;
  target_tenant: string | null;
  target_id: string | null;
  details: Json;
}

/** The subject of a running erase (deleted with the subject when the erase completes). */
export interface ErasuresTable {
  job_id: string;
  tenant: string;
  subject_kind: 'device' | 'recording';
  subject_id: string;
  created_at: Generated<Date>;
}

export interface WebhookEndpointsTable {
  id: Generated<string>;
  tenant: string;
  url: string;
  events: string[];
  secret_ciphertext: Buffer;
  created_at: Generated<Date>;
  failing_since: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
}

/** The transactional outbox: one row per event, written with the change it announces. */
export interface WebhookEventsTable {
  id: Generated<string>;
  tenant: string;
  type: string;
  data: Json;
  created_at: Generated<Date>;
  dispatched_at: Date | null;
}

export interface WebhookAttemptsTable {
  id: Generated<string>;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  final: Generated<boolean>;
  at: Generated<Date>;
}

/** The one row a model reload writes (migration 2026_12_01_0003). */
export interface ModelChoiceTable {
  singleton: Generated<boolean>;
  seq: number;
  version: string;
  configured: string | null;
  chosen_at: Generated<Date>;
}

export interface Database {
  devices: DevicesTable;
  recordings: RecordingsTable;
  epochs: EpochsTable;
  predictions: PredictionsTable;
  jobs: JobsTable;
  ingest_payloads: IngestPayloadsTable;
  labels: LabelsTable;
  rescore_plans: RescorePlansTable;
  rescore_chunks: RescoreChunksTable;
  api_keys: ApiKeysTable;
  night_scoring: NightScoringTable;
  night_scores: NightScoresTable;
  audit_events: AuditEventsTable;
  recording_nights: RecordingNightsTable;
  night_summaries: NightSummariesTable;
  erasures: ErasuresTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_attempts: WebhookAttemptsTable;
  model_choice: ModelChoiceTable;
}

export type DeviceRow = Selectable<DevicesTable>;
export type NewDevice = Insertable<DevicesTable>;
export type RecordingRow = Selectable<RecordingsTable>;
export type NewRecording = Insertable<RecordingsTable>;
export type JobRow = Selectable<JobsTable>;
