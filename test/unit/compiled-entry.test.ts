import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compiledEntry } from '../helpers/processes.js';
import { REPO_ROOT } from '../helpers/services.js';

// The process tests name entry points by source path and run the compiled file the image runs.
describe('compiledEntry', () => {
  it('maps a source entry point to its file in dist/', () => {
    expect(compiledEntry('src/entry/web.ts')).toBe(path.join(REPO_ROOT, 'dist/src/entry/web.js'));
    expect(compiledEntry('workers/main.ts')).toBe(path.join(REPO_ROOT, 'dist/workers/main.js'));
  });

  it('refuses a path that is not a .ts source, and says to build when the file is missing', () => {
    expect(() => compiledEntry('dist/src/entry/web.js')).toThrow(/expected the \.ts source path/);
    expect(() => compiledEntry('src/entry/no-such-entry.ts')).toThrow(/dist\/src\/entry\/no-such-entry\.js does not exist: run npm run build/);
  });
});
