// Nights and trends from stored per-night summaries. One device with a year of nights (365 main
// nights of 8 h, a 1-hour nap every 7th day, every 10th night gappy) seeded with generate_series,
// closed through the service code (which stores each night's summary), then over HTTP against the
// API process:
//   - GET /v1/devices/{id}/trends over 365 days with a 30-day window, and
//   - GET /v1/devices/{id}/nights over the last 30 days,
// each against the same figures computed from the raw predictions in the same run: one bulk read of
// the predictions and the summary code in this process (the cheapest recomputation there is), and
// what a client does without these endpoints, one GET …/summary per night. The baseline's figures
// must equal the endpoints' or the bench fails.
//   npm run bench:nights   (BENCH_NIGHTS_DAYS=365 BENCH_NIGHTS_EPOCHS=960 BENCH_NIGHTS_REPEATS=20)
import { isDeepStrictEqual } from 'node:util';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/database.js';
import { addDays } from '../src/nights/local-date.js';
import { nightQuality } from '../src/nights/night-quality.js';
import { compareForMainSleep, nightSpan } from '../src/nights/night-span.js';
import { summariseNight } from '../src/nights/night-summary.js';
import { closeRecording } from '../src/nights/recording-close.js';
import { rollingTrends, type DayInput } from '../src/nights/trends.js';
import { UNSCORED } from '../src/summary/sleep-statistics.js';
import { describeMachine } from './lib/machine.js';
import { percentile, Reporter } from './lib/report.js';
import { BENCH_HEADERS, BenchStack } from './lib/stack.js';

const DAYS = Number(process.env['BENCH_NIGHTS_DAYS'] ?? 365);
const EPOCHS = Number(process.env['BENCH_NIGHTS_EPOCHS'] ?? 960);
const REPEATS = Number(process.env['BENCH_NIGHTS_REPEATS'] ?? 20);
const WINDOW = 30;
const MODEL = { version: 'wnr-v1', labels: ['W', 'NREM', 'REM'] };
const THRESHOLDS = { minTibMinutes: 180, maxUnscoredPct: 20 };
const FIRST_DATE = '2025-12-01';

const report = new Reporter('nights and trends');
report.info(describeMachine());
const stack = await BenchStack.create({ ACTIVE_MODEL_VERSION: MODEL.version });
try {
  const db = stack.db;
  // Setup, not measured: a year of one device's nights, straight into the database.
  const t0 = performance.now();
  const device = (await sql<{ id: string }>`INSERT INTO devices (external_id, metadata, timezone) VALUES ('bench-nights', '{}', 'UTC') RETURNING id`.execute(db)).rows[0]!.id;
  await sql`
    INSERT INTO recordings (device_id, started_at, feature_schema_version, epoch_seconds, metadata)
    SELECT ${device}::uuid, ${FIRST_DATE}::timestamptz - interval '2 hours' + k * interval '1 day', 'sleep-accel-v1', 30, jsonb_build_object('k', k, 'epochs', ${EPOCHS}::int)
    FROM generate_series(0, ${DAYS - 1}) AS k
    UNION ALL
    SELECT ${device}::uuid, ${FIRST_DATE}::timestamptz + interval '13 hours' + k * interval '1 day', 'sleep-accel-v1', 30, jsonb_build_object('k', k, 'epochs', 120)
    FROM generate_series(0, ${DAYS - 1}, 7) AS k`.execute(db);
  // Every 10th night misses epochs 300–559 (27 % of it: gappy).
  await sql`
    INSERT INTO epochs (recording_id, epoch_index, ts, features)
    SELECT r.id, i, r.started_at + i * interval '30 seconds', ARRAY[(i % 300), 0.3, 0, i / 120.0, 0]::real[]
    FROM recordings r CROSS JOIN LATERAL generate_series(0, (r.metadata->>'epochs')::int - 1) AS i
    WHERE r.device_id = ${device}::uuid AND NOT ((r.metadata->>'k')::int % 10 = 5 AND (r.metadata->>'epochs')::int > 120 AND i BETWEEN 300 AND 559)`.execute(db);
  // A plausible hypnogram: awake for the first 10–19 minutes, NREM–REM cycles, brief awakenings.
  await sql`
    INSERT INTO predictions (recording_id, epoch_index, ts, model_version, stage, probabilities)
    SELECT e.recording_id, e.epoch_index, e.ts, ${MODEL.version},
           CASE WHEN e.epoch_index < 20 + (r.metadata->>'k')::int % 20 THEN 'W'
                WHEN (e.epoch_index * 7 + (r.metadata->>'k')::int) % 97 < 2 THEN 'W'
                WHEN (e.epoch_index + (r.metadata->>'k')::int) % 180 >= 150 THEN 'REM'
                ELSE 'NREM' END,
           ARRAY[0.1, 0.8, 0.1]::real[]
    FROM epochs e JOIN recordings r ON r.id = e.recording_id WHERE r.device_id = ${device}::uuid`.execute(db);
  await sql`ANALYZE`.execute(db);
  const counts = (await sql<{ recordings: number; epochs: number }>`
    SELECT (SELECT count(*)::int FROM recordings) AS recordings, (SELECT count(*)::int FROM predictions) AS epochs`.execute(db)).rows[0]!;
  report.info(`seeded ${counts.recordings} recordings (${DAYS} nights of ${EPOCHS} epochs and ${counts.recordings - DAYS} naps), ${counts.epochs.toLocaleString('en-US')} epochs with predictions, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // Closing stores each night's summary (setup too; timed for information).
  const ids = (await sql<{ id: string }>`SELECT id FROM recordings WHERE device_id = ${device}::uuid ORDER BY started_at`.execute(db)).rows.map((r) => r.id);
  const c0 = performance.now();
  for (const id of ids) await closeRecording(db, () => [MODEL], id);
  report.info(`closing them (measure, date, main sleep, store the summary): ${((performance.now() - c0) / ids.length).toFixed(1)} ms per recording`);

  const api = await stack.startApi();
  const get = async (path: string) => {
    const res = await fetch(`${api.baseUrl}${path}`, { headers: BENCH_HEADERS });
    const body = (await res.json()) as any;
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  };
  const timed = async <T>(runs: number, fn: () => Promise<T>): Promise<{ ms: number[]; last: T }> => {
    const ms: number[] = [];
    let last!: T;
    for (let k = 0; k < runs; k++) {
      const s = performance.now();
      last = await fn();
      ms.push(performance.now() - s);
    }
    return { ms: ms.sort((a, b) => a - b), last };
  };

  // Trends over the year.
  const to = addDays(FIRST_DATE, DAYS);
  const trendsPath = `/v1/devices/${device}/trends?from=${FIRST_DATE}&to=${to}&window=${WINDOW}&model_version=${MODEL.version}`;
  await timed(3, () => get(trendsPath));
  const trends = await timed(REPEATS, () => get(trendsPath));
  const rawTrends = await timed(Math.max(3, Math.ceil(REPEATS / 4)), () => trendsFromRaw(db, device, FIRST_DATE, to));
  same('trends items', trends.last.items, rawTrends.last);
  report.add({
    name: `GET …/trends, ${DAYS} days, window ${WINDOW} (p50)`,
    value: percentile(trends.ms, 50),
    unit: 'ms',
    baseline: { name: 'same figures from the raw predictions (one bulk read + the summary code, in-process)', value: percentile(rawTrends.ms, 50) },
    ratio: percentile(rawTrends.ms, 50) / percentile(trends.ms, 50),
    note: `p95 ${percentile(trends.ms, 95).toFixed(1)} ms over ${REPEATS} calls; ratio = how many times faster`,
  });
  const mains = trends.last.items.filter((i: any) => i.recording_id !== null).map((i: any) => i.recording_id as string);
  const perNight = await timed(1, async () => {
    for (const id of mains) await get(`/v1/recordings/${id}/summary?model_version=${MODEL.version}`);
  });
  report.add({
    name: `GET …/trends vs one GET …/summary per night (${mains.length} requests)`,
    value: percentile(trends.ms, 50),
    unit: 'ms',
    baseline: { name: `${mains.length} × GET …/summary, sequential`, value: perNight.ms[0]! },
    ratio: perNight.ms[0]! / percentile(trends.ms, 50),
  });

  // The nights of the last 30 days.
  const from30 = addDays(to, -30);
  const nightsPath = `/v1/devices/${device}/nights?from=${from30}&to=${to}&model_version=${MODEL.version}`;
  await timed(3, () => get(nightsPath));
  const nights = await timed(REPEATS, () => get(nightsPath));
  const rawNights = await timed(Math.max(3, Math.ceil(REPEATS / 4)), () => nightsFromRaw(db, device, from30, to));
  same('nights summaries', nights.last.items.map((i: any) => [i.recording_id, i.date, i.is_main_sleep, i.quality.code, i.summary]), rawNights.last);
  report.add({
    name: `GET …/nights, 30 days (${nights.last.items.length} nights with naps) (p50)`,
    value: percentile(nights.ms, 50),
    unit: 'ms',
    baseline: { name: 'same summaries from the raw predictions (one bulk read + the summary code, in-process)', value: percentile(rawNights.ms, 50) },
    ratio: percentile(rawNights.ms, 50) / percentile(nights.ms, 50),
    note: `p95 ${percentile(nights.ms, 95).toFixed(1)} ms over ${REPEATS} calls`,
  });
} finally {
  await stack.dispose();
}

function same(what: string, a: unknown, b: unknown): void {
  if (!isDeepStrictEqual(a, b)) throw new Error(`${what}: the endpoint and the baseline disagree\n${JSON.stringify(a).slice(0, 400)}\n${JSON.stringify(b).slice(0, 400)}`);
}

interface RawNight {
  readonly id: string;
  readonly date: string;
  readonly start: Date;
  readonly tibMin: number;
  readonly summary: ReturnType<typeof summariseNight> | null;
}

/** Every night of the device dated in [from, to), summarised from its raw predictions. */
async function rawNightsOf(db: Kysely<Database>, deviceId: string, from: string, to: string): Promise<RawNight[]> {
  // Nights dated in [from, to) (UTC here) start within a day before `from`.
  const recordings = await sql<{ id: string; started_at: Date; epoch_seconds: number; first: number; last: number; count: number }>`
    SELECT r.id, r.started_at, r.epoch_seconds, min(e.epoch_index) AS first, max(e.epoch_index) AS last, count(*)::int AS count
    FROM recordings r JOIN epochs e ON e.recording_id = r.id
    WHERE r.device_id = ${deviceId}::uuid AND r.started_at >= ${from}::timestamptz - interval '1 day' AND r.started_at < ${to}::timestamptz
    GROUP BY r.id`.execute(db);
  const rows = await sql<{ recording_id: string; epoch_index: number; stage: string }>`
    SELECT recording_id, epoch_index, stage FROM predictions
    WHERE recording_id = ANY(${recordings.rows.map((r) => r.id)}::uuid[]) AND model_version = ${MODEL.version}
    ORDER BY recording_id, epoch_index`.execute(db);
  const byRecording = new Map<string, Array<{ epoch_index: number; stage: string }>>();
  for (const row of rows.rows) (byRecording.get(row.recording_id) ?? byRecording.set(row.recording_id, []).get(row.recording_id)!).push(row);
  const out: RawNight[] = [];
  for (const r of recordings.rows) {
    const span = nightSpan(r, r, 'UTC');
    if (span.date < from || span.date >= to) continue;
    const predictions = byRecording.get(r.id) ?? [];
    const classes = new Int16Array(r.last - r.first + 1).fill(UNSCORED);
    for (const p of predictions) classes[p.epoch_index - r.first] = MODEL.labels.indexOf(p.stage);
    const summary = predictions.length === 0 ? null : summariseNight({ recording: r, model: MODEL, firstIndex: r.first, lastIndex: r.last, classes, confidence: new Float32Array(0) });
    out.push({ id: r.id, date: span.date, start: span.start, tibMin: span.tibMin, summary });
  }
  return out;
}

function mainOf(nights: readonly RawNight[]): Map<string, RawNight> {
  const main = new Map<string, RawNight>();
  const key = (n: RawNight) => ({ tibMin: n.tibMin, start: n.start, recordingId: n.id });
  for (const n of nights) {
    const held = main.get(n.date);
    if (!held || compareForMainSleep(key(n), key(held)) < 0) main.set(n.date, n);
  }
  return main;
}

async function trendsFromRaw(db: Kysely<Database>, deviceId: string, from: string, to: string) {
  const start = addDays(from, -WINDOW);
  const main = mainOf(await rawNightsOf(db, deviceId, start, to));
  const days: DayInput[] = [];
  for (let d = start; d < to; d = addDays(d, 1)) {
    const n = main.get(d);
    const f = n?.summary?.figures ?? null;
    days.push({
      date: d,
      recordingId: n?.id ?? null,
      quality: n ? nightQuality(f, THRESHOLDS, MODEL.version).code : null,
      figures: f && { tst_min: f.tstMin, se_pct: f.sePct, waso_min: f.wasoMin, sol_min: f.solMin, rem_latency_min: f.remLatencyMin, minutes: f.stageMinutes },
    });
  }
  return rollingTrends(days, WINDOW, MODEL.labels);
}

async function nightsFromRaw(db: Kysely<Database>, deviceId: string, from: string, to: string) {
  const all = await rawNightsOf(db, deviceId, from, to);
  const main = mainOf(all);
  return all
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.start.getTime() - b.start.getTime()))
    .map((n) => [n.id, n.date, main.get(n.date) === n, nightQuality(n.summary?.figures ?? null, THRESHOLDS, MODEL.version).code, n.summary?.summary ?? null]);
}
