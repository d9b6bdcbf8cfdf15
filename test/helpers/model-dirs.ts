import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SHIPPED_MODELS_DIR } from './services.js';

/** A private copy of shipped model folders that a test may break or extend. */
export function copyModels(versions: readonly string[]): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'noctis-models-'));
  for (const version of versions) cpSync(path.join(SHIPPED_MODELS_DIR, version), path.join(dir, version), { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of `from` named `version` whose weights no longer match its label map. */
export function writeBrokenModel(dir: string, from: string, version: string): void {
  cpSync(path.join(dir, from), path.join(dir, version), { recursive: true });
  writeFileSync(path.join(dir, version, 'label_map.json'), JSON.stringify({ 0: 'W', 1: 'NREM' }));
}

/** A copy of `from` named `version`, optionally with another label map of as many classes. */
export function writeModelCopy(dir: string, from: string, version: string, labels?: readonly string[]): void {
  cpSync(path.join(dir, from), path.join(dir, version), { recursive: true });
  if (labels) writeFileSync(path.join(dir, version, 'label_map.json'), JSON.stringify(Object.fromEntries(labels.map((l, i) => [String(i), l]))));
}
