import { TEST_ADMIN_TOKEN } from '../helpers/services.js';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, ingestList } from '../helpers/fixtures.js';
import { request, waitForJob } from '../helpers/http.js';
import { labelSetModels } from '../helpers/label-set-models.js';
import { REPO_ROOT } from '../helpers/services.js';
import { FEATURE_SCHEMA_VERSION, type Night } from '../helpers/sleep-data.js';
import { nightWithGap } from '../helpers/synthetic-night.js';
import { createTestEnv, startTestApp, type RunningApp, type TestEnv } from '../helpers/test-app.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUTPUT_DIR = path.join(REPO_ROOT, 'test-output');
const noChromium = existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (apt-get install -y chromium)`;
if (noChromium) console.warn(`report page browser test skipped: ${noChromium}`);

const ACTIVE = 'wnr-v1';
/** A device name that would run script if the page did not escape it. */
const HOSTILE = `<img src=x onerror="window.__pwned=1">"'&`;

let testEnv: TestEnv;
let app: RunningApp;
let base: string;
let models: { dir: string; remove(): void };
let night: Night;
let recordingId: string;
let startedAt: string;

const tsOf = (i: number) => new Date(Date.parse(startedAt) + i * 30_000).toISOString();

beforeAll(async () => {
  models = labelSetModels();
  testEnv = await createTestEnv();
  app = await startTestApp(testEnv, { env: { MODELS_DIR: models.dir, ACTIVE_MODEL_VERSION: ACTIVE } });
  base = app.baseUrl;
  night = nightWithGap();
  const device = await request(base, 'POST', '/v1/devices', { external_id: `report-${randomUUID()}`, name: HOSTILE });
  expect(device.status).toBe(201);
  const rec = await request(base, 'POST', '/v1/recordings', {
    device_id: device.body.id,
    started_at: '2024-03-01T22:00:00Z',
    feature_schema_version: FEATURE_SCHEMA_VERSION,
  });
  expect(rec.status).toBe(201);
  recordingId = rec.body.id;
  startedAt = rec.body.started_at;
  await ingestList(base, recordingId, night.indices, night.features);
  const predict = await request(base, 'POST', '/v1/predict', { recording_id: recordingId, model_version: 'aasm-t' });
  expect((await waitForJob(base, predict.body.job_id)).state).toBe('completed');
});

afterAll(async () => {
  await app?.stop();
  await testEnv?.dispose();
  models?.remove();
});

describe('GET /v1/recordings/{id}/hypnogram.svg', () => {
  it('draws the predicted stages with the probability band, wake on top, no truth trace before labels', async () => {
    const res = await request(base, 'GET', `/v1/recordings/${recordingId}/hypnogram.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const svg: string = res.body;
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect([...svg.matchAll(/data-stage="([^"]+)"/g)].map((m) => m[1])).toEqual(['W', 'REM', 'NREM']);
    expect(svg).toContain('class="trace-predicted"');
    expect(svg).toContain('class="band"');
    expect(svg).not.toContain('class="trace-truth"');
    expect(svg).not.toMatch(/<script/i);
  });

  it('adds the ground truth as a second trace once labels exist, in the model order for five classes', async () => {
    const put = await request(base, 'PUT', `/v1/recordings/${recordingId}/labels`, {
      labels: night.indices.map((epoch_index, k) => ({ epoch_index, stage: night.stages[k] })),
    });
    expect(put.status).toBe(200);
    const res = await request(base, 'GET', `/v1/recordings/${recordingId}/hypnogram.svg?model_version=aasm-t&from=${tsOf(60)}&to=${tsOf(300)}`);
    expect(res.status).toBe(200);
    expect([...res.body.matchAll(/data-stage="([^"]+)"/g)].map((m: RegExpMatchArray) => m[1])).toEqual(['W', 'REM', 'N1', 'N2', 'N3']);
    expect(res.body).toContain('class="trace-truth"');
    expect(res.body).toContain('ground truth');
  });

  it('answers errors as JSON: 404 unknown recording, 400 bad range, 409 no predictions', async () => {
    expectError(await request(base, 'GET', `/v1/recordings/${randomUUID()}/hypnogram.svg`), 404, 'recording_not_found');
    expectError(await request(base, 'GET', `/v1/recordings/${recordingId}/hypnogram.svg?from=${tsOf(9)}&to=${tsOf(3)}`), 400, 'invalid_range');
    expectError(await request(base, 'GET', `/v1/recordings/${recordingId}/hypnogram.svg?model_version=wnr-v2`), 409, 'no_predictions');
  });
});

describe('GET /recordings/{id}', () => {
  it('is an HTML page with the summary, stage table, agreement and inline hypnogram, escaping the device name', async () => {
    const res = await request(base, 'GET', `/recordings/${recordingId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html: string = res.body;
    const summary = (await request(base, 'GET', `/v1/recordings/${recordingId}/summary`)).body;
    expect(html).toContain(`<tr data-key="tib_min"><th scope="row">Time in bed (TIB)</th><td>${summary.tib_min.toFixed(1)} min</td></tr>`);
    expect(html).toContain(`<td>${summary.tst_min.toFixed(1)} min</td>`);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="hypnogram"');
    expect(html).toContain('class="evaluation"');
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;&quot;&#39;&amp;');
  });

  it('answers errors as JSON: 404 unknown recording, 400 bad query, 409 no predictions', async () => {
    expectError(await request(base, 'GET', `/recordings/${randomUUID()}`), 404, 'recording_not_found');
    expectError(await request(base, 'GET', `/recordings/${recordingId}?from=soon`), 400, 'bad_request');
    expectError(await request(base, 'GET', `/recordings/${recordingId}?from=${tsOf(5)}&to=${tsOf(5)}`), 400, 'invalid_range');
    expectError(await request(base, 'GET', `/recordings/${recordingId}?model_version=wnr-v2`), 409, 'no_predictions');
  });
});

describe.skipIf(noChromium !== null)(`the report page in headless Chromium${noChromium ? ` [skipped: ${noChromium}]` : ''}`, () => {
  for (const version of [ACTIVE, 'aasm-t']) {
    it(`renders the tables and the hypnogram, stages in conventional order (${version})`, async () => {
      const { chromium } = await import('playwright-core');
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        // The browser logs in as a person would: HTTP Basic with the API key as the password.
        const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, httpCredentials: { username: 'operator', password: TEST_ADMIN_TOKEN } });
        const problems: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error') problems.push(m.text());
        });
        page.on('pageerror', (err) => problems.push(err.message));
        page.on('dialog', (d) => {
          problems.push(`dialog: ${d.message()}`);
          void d.dismiss();
        });
        const response = await page.goto(`${base}/recordings/${recordingId}?model_version=${version}`);
        expect(response?.status()).toBe(200);
        expect(await page.title()).toBe('Night of 2024-03-01 · Noctis');
        expect(await page.locator('table.summary tr').count()).toBe(12);
        const svg = page.locator('svg.hypnogram');
        await expect.poll(() => svg.isVisible()).toBe(true);
        const box = await svg.boundingBox();
        expect(box!.width).toBeGreaterThan(900);
        // The stage labels, top to bottom on screen.
        const labels = await page.locator('svg.hypnogram text.stage-label').evaluateAll((els) =>
          els.map((el) => ({ stage: el.getAttribute('data-stage')!, y: el.getBoundingClientRect().top })).sort((a, b) => a.y - b.y).map((l) => l.stage),
        );
        expect(labels).toEqual(version === ACTIVE ? ['W', 'REM', 'NREM'] : ['W', 'REM', 'N1', 'N2', 'N3']);
        const traces = await page.locator('svg.hypnogram path.trace-predicted, svg.hypnogram path.trace-truth').evaluateAll((els) =>
          els.map((el) => ({ cls: el.getAttribute('class'), width: (el as SVGGraphicsElement).getBBox().width })),
        );
        expect(traces.map((t) => t.cls)).toEqual(['trace-predicted', 'trace-truth']);
        for (const t of traces) expect(t.width).toBeGreaterThan(800);
        expect(await page.locator('td').filter({ hasText: '<img' }).count()).toBe(1); // the escaped device name, shown as text
        expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
        expect(problems).toEqual([]);
        mkdirSync(OUTPUT_DIR, { recursive: true });
        const file = path.join(OUTPUT_DIR, `report-page-${version}.png`);
        await page.screenshot({ path: file, fullPage: true });
        expect(statSync(file).size).toBeGreaterThan(10_000);
      } finally {
        await browser.close();
      }
    });
  }
});
