import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/services.js';

// Infrastructure folders that features build on. Each may import only the folders listed for it
// (and the composition root's AppContext type): never a feature, so no cycle can form through them.
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  errors: [],
  config: [],
  logging: [],
  db: ['config'],
  metrics: ['queues'],
  http: ['config', 'db', 'errors', 'logging'],
  // Redis connections (one factory for every mode and role) sit below the queues.
  redis: ['config'],
  queues: ['config', 'db', 'errors', 'logging', 'redis', 'tracing'],
  // OpenTelemetry helpers: @opentelemetry/api only, so every layer may use them.
  tracing: [],
};

function importedFolders(folder: string): Map<string, string[]> {
  const dir = path.join(REPO_ROOT, 'src', folder);
  const found = new Map<string, string[]>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/from '\.\.\/([a-z0-9-]+)\//g)) found.set(m[1]!, [...(found.get(m[1]!) ?? []), file]);
  }
  return found;
}

describe('layering of src/', () => {
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    it(`${folder}/ imports only ${allowed.length ? allowed.join(', ') : 'nothing else in src'}`, () => {
      const stray = [...importedFolders(folder)].filter(([target]) => !allowed.includes(target));
      expect(Object.fromEntries(stray)).toEqual({});
    });
  }
});
