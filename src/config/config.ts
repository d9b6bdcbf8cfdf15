import { isIP } from 'node:net';
import { z } from 'zod';
import { checkRedisMode, HostPortList, resolveRedis } from './redis-config.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The largest MAX_RECORDING_EPOCHS may be (about 35 days of 30-s epochs). */
export const RECORDING_EPOCHS_CEILING = 100_000;

const intIn = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

// Express's named subnets for `trust proxy`.
const PROXY_PRESETS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrSubnet(text: string): boolean {
  if (PROXY_PRESETS.has(text)) return true;
  const [address, bits, extra] = text.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  // A prefix length, or (IPv4 only) a dotted netmask such as 255.255.255.0.
  if (/^\d{1,3}$/.test(bits)) return Number(bits) <= (family === 4 ? 32 : 128);
  return family === 4 && isIP(bits) === 4;
}

/** A 32-byte key from 64 hex digits or base64 (either padding); null when it is neither. */
export function decodeKey(text: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 ? bytes : null;
}

/**
 * Express's `trust proxy` forms: `true`/`false`, a number of proxy hops, or a comma-separated list
 * of addresses, subnets and the names loopback, linklocal, uniquelocal. Unset: trust none, so
 * X-Forwarded-For cannot choose the address that invalid-key throttling counts.
 */
const TrustProxy = z
  .string()
  .transform((text, ctx): boolean | number | string[] => {
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (/^\d+$/.test(text)) return Number(text);
    const items = text.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((item) => !isAddressOrSubnet(item));
    if (items.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `true, false, a hop count, or addresses/subnets/loopback/linklocal/uniquelocal (bad: ${bad.join(', ') || 'empty'})` });
      return z.NEVER;
    }
    return items;
  })
  .default(false);

// Every variable the service reads, with its default. Empty strings count as unset so that
// `.env.example` can list variables without values.
const ConfigFields = z.object({
  PORT: intIn(0, 65535, 8000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/noctis'),
  // Exactly one Redis mode (see redis-config.ts): REDIS_URL (one server, the default),
  // REDIS_CLUSTER_NODES (Redis Cluster seed nodes) or REDIS_SENTINELS with REDIS_SENTINEL_MASTER.
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_CLUSTER_NODES: HostPortList.optional(),
  REDIS_SENTINELS: HostPortList.optional(),
  REDIS_SENTINEL_MASTER: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only').optional(),
  REDIS_PASSWORD: z.string().min(1).optional(),
  // Ingest and night scoring spread over this many queues, each under its own hash tag, chosen by
  // recording id (see queues/shards.ts). 1 keeps the queue names of an unsharded deployment.
  QUEUE_SHARDS: intIn(1, 64, 1),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only')
    .default('noctis'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  MODELS_DIR: z.string().min(1).default('./models'),
  ACTIVE_MODEL_VERSION: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  WORKER_CONCURRENCY: intIn(1, 256, 4),
  // A recording spans at most this many epochs (5760 = 48 h of 30-s epochs): it bounds what one
  // recording can cost every read (summary slots, pages, the ts range of hypertable queries). The
  // ceiling keeps a night comparable in evaluation (MAX_NIGHT_EPOCHS).
  MAX_RECORDING_EPOCHS: intIn(1, RECORDING_EPOCHS_CEILING, 5760),
  // Unset: MAX_RECORDING_EPOCHS (a whole recording in one request).
  MAX_EPOCHS_PER_REQUEST: z.coerce.number().int().min(1).max(RECORDING_EPOCHS_CEILING).optional(),
  MAX_BODY_BYTES: intIn(1024, 1024 * 1024 * 1024, 16 * 1024 * 1024),
  JOB_RETENTION_HOURS: intIn(24, 24 * 365, 168),
  SWEEP_INTERVAL_SECONDS: intIn(1, 3600, 30),
  SWEEP_STALE_SECONDS: intIn(1, 86400, 60),
  // How often every process compares its model with the last reload's choice (models/model-sync.ts).
  MODEL_SYNC_INTERVAL_SECONDS: intIn(1, 3600, 30),
  JOB_LOCK_SECONDS: intIn(1, 3600, 60),
  NOCTIS_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  // OpenMetrics /metrics with trace-id exemplars on noctis_job_wait_seconds; off by default because
  // it changes the exposition format existing scrapers read.
  METRICS_EXEMPLARS: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  RATE_LIMIT_PER_MINUTE: intIn(0, 10_000_000, 6000),
  // All keys of one tenant together, so minting more keys does not raise a tenant's ceiling.
  TENANT_RATE_LIMIT_PER_MINUTE: intIn(0, 10_000_000, 12000),
  // Failed key checks per client address per minute before 429 (0 = no limit).
  AUTH_FAILURES_PER_MINUTE: intIn(0, 1_000_000, 30),
  TRUST_PROXY: TrustProxy,
  AUDIT_RETENTION_DAYS: intIn(1, 36500, 365),
  WEB_CONCURRENCY: intIn(1, 64, 1),
  // Default: what one process of every role holds at once with the default concurrencies (see db/pool-budget.ts).
  DB_POOL_SIZE: intIn(1, 200, 20),
  SHUTDOWN_TIMEOUT_SECONDS: intIn(1, 3600, 30),
  // Bulk re-scoring runs on its own queue with its own, small concurrency so ingest keeps its CPU.
  RESCORE_CONCURRENCY: intIn(1, 64, 1),
  RESCORE_CHUNK_EPOCHS: intIn(1, 1_000_000, 20000),
  // Context models score whole nights: a recording's scoring waits until its uploads have been quiet
  // this long (parts of one night coalesce into one scoring), but never longer than the ceiling.
  NIGHT_SCORING_DEBOUNCE_MS: intIn(0, 600_000, 1000),
  NIGHT_SCORING_MAX_WAIT_SECONDS: intIn(1, 3600, 30),
  // Upload-driven scorings of a night may score at most this many epochs per stored epoch; past it,
  // a scoring waits for the night to grow or for its uploads to settle (see night-scoring.policy.ts).
  NIGHT_SCORING_BUDGET: z.coerce.number().min(1).max(100).default(3),
  NIGHT_SCORING_SETTLE_SECONDS: intIn(1, 86400, 10),
  // Nights. A recording that received no upload for this long is closed by the workers (minutes;
  // fractions allowed, for tests); the idle closer looks this often.
  RECORDING_IDLE_MINUTES: z.coerce.number().positive().max(525_600).default(720),
  RECORDING_IDLE_CHECK_SECONDS: intIn(1, 86400, 60),
  // Night quality: a night shorter than this (time in bed) is `too_short`; one with more than this
  // share of its time in bed unscored is `gappy`.
  NIGHT_MIN_TIB_MINUTES: z.coerce.number().min(0).max(1440).default(180),
  NIGHT_MAX_UNSCORED_PCT: z.coerce.number().min(0).max(100).default(20),
  // Open (not yet closed) recordings of a device that the nights and trends endpoints summarise on
  // the fly per request, the newest first.
  NIGHTS_OPEN_LIMIT: intIn(0, 100, 8),
  // Retention (unset: keep everything, uncompressed). Raw epochs and predictions older than this
  // many days are deleted (TimescaleDB: retention policies; plain PostgreSQL: a scheduled worker job
  // that deletes in batches every RETENTION_INTERVAL_SECONDS); stored nightly summaries stay.
  RETAIN_EPOCHS_DAYS: z.coerce.number().int().min(1).max(36500).optional(),
  RETAIN_PREDICTIONS_DAYS: z.coerce.number().int().min(1).max(36500).optional(),
  // TimescaleDB only: chunks of epochs and predictions older than this are compressed.
  COMPRESS_AFTER_DAYS: z.coerce.number().int().min(1).max(36500).optional(),
  RETENTION_INTERVAL_SECONDS: intIn(1, 86400, 3600),
  RETENTION_BATCH_ROWS: intIn(1, 100_000, 10_000),
  // Webhooks. The key encrypting endpoint secrets at rest (AES-256-GCM): 32 bytes as 64 hex digits
  // or base64; unset, webhooks cannot be registered. Links in event bodies start with PUBLIC_BASE_URL.
  WEBHOOK_SECRET_KEY: z
    .string()
    .refine((text) => decodeKey(text) !== null, '32 bytes: 64 hex digits or base64')
    .optional(),
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8000'),
  // Targets resolving to loopback, private or link-local addresses are refused unless this is true
  // (tests, private deployments).
  WEBHOOK_ALLOW_PRIVATE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  // A delivery is retried with exponential backoff from WEBHOOK_BACKOFF_MS for at least this long.
  WEBHOOK_RETRY_SECONDS: intIn(1, 7 * 86400, 86400),
  WEBHOOK_BACKOFF_MS: intIn(10, 3_600_000, 1000),
  WEBHOOK_TIMEOUT_MS: intIn(100, 120_000, 10_000),
  // An endpoint whose every attempt failed for this long is disabled (and reported).
  WEBHOOK_DISABLE_AFTER_SECONDS: intIn(1, 30 * 86400, 86400),
  WEBHOOK_CONCURRENCY: intIn(1, 256, 8),
  WEBHOOK_DISPATCH_INTERVAL_MS: intIn(10, 60_000, 1000),
  // Erase: rows per bounded statement (epoch indices for epochs, predictions and labels).
  ERASE_BATCH_ROWS: intIn(1, 100_000, 5000),
  RESCORE_CRON: z
    .string()
    .regex(/^\S+(\s+\S+){4,5}$/, 'a cron pattern of 5 or 6 fields, e.g. "0 3 * * *"')
    .optional(),
});

/**
 * Rules across variables, all reported with the rest. The idle rule reads a recording's latest
 * ingest from the jobs table, which keeps finished jobs JOB_RETENTION_HOURS; a longer idle period
 * would find them swept and close too early.
 */
const ConfigSchema = ConfigFields.superRefine((c, ctx) => {
  checkRedisMode(c, ctx);
  if (c.MAX_EPOCHS_PER_REQUEST !== undefined && c.MAX_EPOCHS_PER_REQUEST > c.MAX_RECORDING_EPOCHS) {
    ctx.addIssue({
      code: 'custom',
      path: ['MAX_EPOCHS_PER_REQUEST'],
      message: `may not exceed MAX_RECORDING_EPOCHS (${c.MAX_RECORDING_EPOCHS}): one request cannot carry more epochs than a recording holds`,
    });
  }
  if (c.RECORDING_IDLE_MINUTES > c.JOB_RETENTION_HOURS * 60) {
    ctx.addIssue({
      code: 'custom',
      path: ['RECORDING_IDLE_MINUTES'],
      message: 'must not exceed JOB_RETENTION_HOURS × 60 (the idle rule reads the latest ingest job)',
    });
  }
  // Compressing chunks that retention drops at the same age (or earlier) is work for nothing.
  for (const key of ['RETAIN_EPOCHS_DAYS', 'RETAIN_PREDICTIONS_DAYS'] as const) {
    const retain = c[key];
    if (c.COMPRESS_AFTER_DAYS !== undefined && retain !== undefined && c.COMPRESS_AFTER_DAYS >= retain) {
      ctx.addIssue({ code: 'custom', path: ['COMPRESS_AFTER_DAYS'], message: `must be less than ${key} (${retain}): chunks would be dropped before or when compressed` });
    }
  }
}).transform((c) => ({ ...c, MAX_EPOCHS_PER_REQUEST: c.MAX_EPOCHS_PER_REQUEST ?? c.MAX_RECORDING_EPOCHS, REDIS: resolveRedis(c) }));

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Every variable the service reads (.env.example and the README list them all; a test checks). */
export const CONFIG_VARIABLES: readonly string[] = Object.freeze(Object.keys(ConfigFields.shape));
export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Pure: parses and validates every variable at once; throws ConfigError naming each bad one. */
export function loadConfig(env: Env): Config {
  const input: Record<string, string> = {};
  for (const key of CONFIG_VARIABLES) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '?');
        // Values of URLs and tokens may hold secrets; name the variable only.
        const shown = /(_URL|_TOKEN|_KEY|_PASSWORD)$/.test(key) ? '' : `=${JSON.stringify(input[key] ?? '')}`;
        return `${key}${shown}: ${issue.message}`;
      }),
    );
  }
  return Object.freeze(parsed.data);
}
