import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './services.js';

/**
 * `npm run build` (tsc -b, incremental: about a second when nothing changed), so the tests that
 * start processes run the compiled entry points in dist/, the files the image runs.
 */
export function buildDist(): void {
  execFileSync('npm', ['run', '-s', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
}

// vitest globalSetup: once before the suite, never in the test workers (they would race on dist/).
export default buildDist;
