// The README walkthrough with the typed client: API=http://127.0.0.1:8000 KEY=nct_… npx tsx clients/typescript/examples/walkthrough.ts
// (KEY from `npm run -s cli -- keys create --tenant demo --scopes ingest,read,admin`). Type-checked
// with the repository (tsc); test/integration/client-walkthrough.test.ts runs the same steps.
import { createNoctisClient } from '../src/index.js';

const api = createNoctisClient(process.env['API'] ?? 'http://127.0.0.1:8000', process.env['KEY'] ?? '');

/** The `data` of a success, or the API's error as an exception. */
function ok<T>(result: { data?: T; error?: { error: { code: string; message: string } } }): T {
  if (result.error) throw new Error(`${result.error.error.code}: ${result.error.error.message}`);
  return result.data!;
}

// 1. a device, 2. a recording (one night) in the shipped models' feature schema
const device = ok(await api.POST('/v1/devices', { body: { external_id: 'watch-0001', name: 'Left wrist', timezone: 'Europe/London' } }));
const recording = ok(
  await api.POST('/v1/recordings', { body: { device_id: device.id, started_at: '2026-11-25T22:30:00Z', feature_schema_version: 'sleep-accel-v1' } }),
);
const id = recording.id;

// 3. packed ingest: base64 of count × 5 little-endian float32, row-major (schema order)
const rows = [
  [38.6, 0.52, -0.26, 0, 0],
  [31.6, 0.51, -0.26, 0.008, 0.002],
  [0, 0, 0, 0.017, 0.004],
];
const packed = Buffer.from(new Float32Array(rows.flat()).buffer).toString('base64');
const accepted = ok(await api.POST('/v1/epochs:ingest', { body: { recording_id: id, feature_schema_version: 'sleep-accel-v1', start_index: 0, packed } }));

// 4. poll the job until it leaves queued/active
let job = ok(await api.GET('/v1/jobs/{id}', { params: { path: { id: accepted.job_id } } }));
while (job.state === 'queued' || job.state === 'active') {
  await new Promise((resolve) => setTimeout(resolve, 200));
  job = ok(await api.GET('/v1/jobs/{id}', { params: { path: { id: accepted.job_id } } }));
}

// 5. the predicted stages and the night's summary, typed from the document
const predictions = ok(await api.GET('/v1/recordings/{id}/predictions', { params: { path: { id } } }));
const summary = ok(await api.GET('/v1/recordings/{id}/summary', { params: { path: { id } } }));
console.log(job.state, predictions.items.map((p) => p.stage).join(' '), `TST ${summary.tst_min} min, SE ${summary.se_pct ?? '–'} %`);
