import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const intIn = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

// Every variable the service reads, with its default. Empty strings count as unset so that
// `.env.example` can list variables without values.
const ConfigSchema = z.object({
  PORT: intIn(0, 65535, 8000),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/noctis'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379/0'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only')
    .default('noctis'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  MODELS_DIR: z.string().min(1).default('./models'),
  ACTIVE_MODEL_VERSION: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  WORKER_CONCURRENCY: intIn(1, 256, 4),
  MAX_EPOCHS_PER_REQUEST: intIn(1, 1_000_000, 20000),
  MAX_BODY_BYTES: intIn(1024, 1024 * 1024 * 1024, 16 * 1024 * 1024),
  JOB_RETENTION_HOURS: intIn(24, 24 * 365, 168),
  SWEEP_INTERVAL_SECONDS: intIn(1, 3600, 30),
  SWEEP_STALE_SECONDS: intIn(1, 86400, 60),
  JOB_LOCK_SECONDS: intIn(1, 3600, 60),
  NOCTIS_ADMIN_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  METRICS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  RATE_LIMIT_PER_MINUTE: intIn(0, 10_000_000, 6000),
  WEB_CONCURRENCY: intIn(1, 64, 1),
  DB_POOL_SIZE: intIn(1, 200, 10),
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
  RESCORE_CRON: z
    .string()
    .regex(/^\S+(\s+\S+){4,5}$/, 'a cron pattern of 5 or 6 fields, e.g. "0 3 * * *"')
    .optional(),
});

/**
 * The idle rule reads a recording's latest ingest from the jobs table, which keeps finished jobs
 * JOB_RETENTION_HOURS; a longer idle period would find them swept and close too early.
 */
const CheckedConfigSchema = ConfigSchema.refine((c) => c.RECORDING_IDLE_MINUTES <= c.JOB_RETENTION_HOURS * 60, {
  path: ['RECORDING_IDLE_MINUTES'],
  message: 'must not exceed JOB_RETENTION_HOURS × 60 (the idle rule reads the latest ingest job)',
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;
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
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const parsed = CheckedConfigSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = String(issue.path[0] ?? '?');
        // Values of URLs and tokens may hold secrets; name the variable only.
        const shown = /(_URL|_TOKEN)$/.test(key) ? '' : `=${JSON.stringify(input[key] ?? '')}`;
        return `${key}${shown}: ${issue.message}`;
      }),
    );
  }
  return Object.freeze(parsed.data);
}
