import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { generateSchema, SCHEMA_PATH } from '../../clients/typescript/generate.js';
import { OPENAPI_FILE, openApiFileText } from '../../src/openapi/openapi.file.js';
import { REPO_ROOT } from '../helpers/services.js';

// The committed artefacts of the API contract must be what the code produces: the document that
// clients are generated from, and the generated TypeScript client. `npm run openapi` refreshes both.
describe('the committed API contract', () => {
  it('docs/openapi.json is the document the code serves', () => {
    const committed = readFileSync(path.join(REPO_ROOT, OPENAPI_FILE), 'utf8');
    expect(committed === openApiFileText(), `${OPENAPI_FILE} is out of date: run npm run openapi`).toBe(true);
  });

  it('clients/typescript/src/schema.d.ts is generated from the committed document', async () => {
    // Regenerated into a temporary directory, then compared byte for byte.
    const dir = mkdtempSync(path.join(tmpdir(), 'noctis-client-'));
    try {
      const fresh = path.join(dir, 'schema.d.ts');
      writeFileSync(fresh, await generateSchema(path.join(REPO_ROOT, OPENAPI_FILE)));
      const same = readFileSync(fresh, 'utf8') === readFileSync(SCHEMA_PATH, 'utf8');
      expect(same, 'clients/typescript/src/schema.d.ts is out of date: run npm run openapi').toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes redocly lint (recommended-strict, see redocly.yaml)', async () => {
    const redocly = path.join(REPO_ROOT, 'node_modules/.bin/redocly');
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
    const outcome = await promisify(execFile)(redocly, ['lint'], { cwd: REPO_ROOT, env }).then(
      () => null,
      (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ''}${err.stderr ?? ''}`,
    );
    expect(outcome, 'redocly lint failed').toBeNull();
  }, 60_000);
});
