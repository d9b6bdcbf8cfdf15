// Writes a model folder atomically (temp sibling, then rename), so a concurrent registry scan never
// sees a half-written model.

import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipelineToJson, type PipelineSpec } from '../models/pipeline.js';
import { transformsToJson } from '../models/transforms.js';
import { encodeNpy } from '../models/npy-write.js';
import type { NightModel } from '../scoring/night-scorer.js';
import { SLEEP_ACCEL_SCHEMA_VERSION } from './csv.js';
import type { LabelSet } from './label-sets.js';
import { labelMapJson } from './label-sets.js';

export interface ModelFolderContent {
  readonly labelSet: LabelSet;
  readonly features: readonly string[];
  readonly model: NightModel;
  readonly spec: PipelineSpec;
  /** Write pipeline.json (context model) rather than transforms.json (plain model). */
  readonly withPipeline: boolean;
  readonly metadata: Record<string, unknown>;
}

export const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Writes <outDir>/<version>/; replaces an existing folder only when `force`. Returns its path. */
export async function writeModelFolder(outDir: string, version: string, c: ModelFolderContent, force: boolean): Promise<string> {
  const modelDir = resolve(outDir, version);
  if (!force && (await exists(modelDir))) throw new Error(`${modelDir} already exists; model versions are immutable (use --force to replace)`);
  await mkdir(resolve(outDir), { recursive: true });
  const tmpDir = resolve(outDir, `.${version}.tmp-${process.pid}`);
  await rm(tmpDir, { recursive: true, force: true });
  await mkdir(tmpDir);
  const nInputs = c.model.pipeline.inputNames.length;
  const nClasses = c.labelSet.classes.length;
  await writeFile(join(tmpDir, 'weights.npy'), encodeNpy(c.model.weights, [nInputs, nClasses]));
  await writeFile(join(tmpDir, 'bias.npy'), encodeNpy(c.model.bias, [nClasses]));
  await writeFile(join(tmpDir, 'label_map.json'), json(labelMapJson(c.labelSet)));
  await writeFile(join(tmpDir, 'feature_schema.json'), json({ version: SLEEP_ACCEL_SCHEMA_VERSION, features: c.features }));
  if (c.withPipeline) await writeFile(join(tmpDir, 'pipeline.json'), json(pipelineToJson(c.spec)));
  else if (c.spec.transforms.length > 0) await writeFile(join(tmpDir, 'transforms.json'), json(transformsToJson(c.spec.transforms)));
  await writeFile(join(tmpDir, 'metadata.json'), json(c.metadata));
  if (await exists(modelDir)) await rm(modelDir, { recursive: true }); // only reachable with force
  await rename(tmpDir, modelDir);
  return modelDir;
}
