import { readFile, access } from 'node:fs/promises';
import path from 'node:path';
import type { LinearModel } from '../scoring/softmax.js';
import { compilePipeline } from '../scoring/night-inputs.js';
import type { NightModel } from '../scoring/night-scorer.js';
import { parsePipeline, plainPipeline, type PipelineSpec } from './pipeline.js';
import { compileTransforms, parseTransforms, type TransformSpec } from './transforms.js';
import { isCanonicalStage } from './labels.js';
import { readFloatNpy } from './npy.js';

export interface LoadedModel {
  readonly version: string;
  readonly featureSchemaVersion: string;
  readonly features: readonly string[];
  readonly labels: readonly string[];
  readonly transforms: readonly TransformSpec[];
  /** pipeline.json, or the plain pipeline (features after transforms.json) of a model without one. */
  readonly pipeline: PipelineSpec;
  /** True when an epoch's prediction depends on the rest of its night (see models/pipeline.ts). */
  readonly wholeNight: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Per-epoch kernel of a model whose inputs are its features (no pipeline.json); null otherwise. */
  readonly linear: LinearModel | null;
  /** The model as the night scorer runs it (every model has one). */
  readonly night: NightModel;
  readonly loadedAt: Date;
}

export class ModelLoadError extends Error {
  constructor(readonly version: string, reason: string) {
    super(reason);
    this.name = 'ModelLoadError';
  }
}

const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidVersionName(version: string): boolean {
  return VERSION_PATTERN.test(version);
}

/** Reads and validates every file of `models/<version>/`; throws ModelLoadError naming the problem. */
export async function loadModelFolder(modelsDir: string, version: string): Promise<LoadedModel> {
  if (!isValidVersionName(version)) throw new ModelLoadError(version, `"${version}" is not a valid version name`);
  const dir = path.join(modelsDir, version);
  const fail = (reason: string): never => {
    throw new ModelLoadError(version, reason);
  };
  const json = async (file: string): Promise<unknown> => {
    let text: string;
    try {
      text = await readFile(path.join(dir, file), 'utf8');
    } catch {
      return fail(`${file} is missing or unreadable`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      return fail(`${file} is not valid JSON (${(err as Error).message})`);
    }
  };
  const npy = async (file: string) => {
    let bytes: Buffer;
    try {
      bytes = await readFile(path.join(dir, file));
    } catch {
      return fail(`${file} is missing or unreadable`);
    }
    try {
      return readFloatNpy(bytes, file);
    } catch (err) {
      return fail((err as Error).message);
    }
  };

  const schema = await json('feature_schema.json');
  const { featureSchemaVersion, features } = parseFeatureSchema(schema, fail);
  const labels = parseLabelMap(await json('label_map.json'), fail);
  const metadata = await json('metadata.json');
  if (!isPlainObject(metadata)) fail('metadata.json must be a JSON object');

  let transforms: TransformSpec[] = [];
  const hasTransformsFile = await exists(path.join(dir, 'transforms.json'));
  if (hasTransformsFile) {
    try {
      transforms = parseTransforms(await json('transforms.json'), features);
    } catch (err) {
      if (err instanceof ModelLoadError) throw err;
      fail(`transforms.json: ${(err as Error).message}`);
    }
  }
  let pipeline: PipelineSpec | null = null;
  if (await exists(path.join(dir, 'pipeline.json'))) {
    if (hasTransformsFile) fail('pipeline.json and transforms.json both exist; put the transforms in pipeline.json');
    try {
      pipeline = parsePipeline(await json('pipeline.json'), features, labels);
    } catch (err) {
      if (err instanceof ModelLoadError) throw err;
      fail(`pipeline.json: ${(err as Error).message}`);
    }
  }
  const spec = pipeline ?? plainPipeline(features, transforms);
  const nInputs = spec.inputs.length;

  const weights = await npy('weights.npy');
  const bias = await npy('bias.npy');
  if (weights.shape.length !== 2 || weights.shape[0] !== nInputs || weights.shape[1] !== labels.length) {
    const rows = pipeline ? `pipeline.json has ${nInputs} inputs` : `the feature schema has ${nInputs} features`;
    fail(`weights.npy has shape [${weights.shape.join(', ')}] but ${rows} and the label map ${labels.length} classes (expected [${nInputs}, ${labels.length}])`);
  }
  if (bias.shape.length !== 1 || bias.shape[0] !== labels.length) {
    fail(`bias.npy has shape [${bias.shape.join(', ')}], expected [${labels.length}]`);
  }
  if (!weights.data.every(Number.isFinite)) fail('weights.npy contains NaN or infinite values');
  if (!bias.data.every(Number.isFinite)) fail('bias.npy contains NaN or infinite values');

  const compiled = compilePipeline(spec, features);
  const frozenLabels = Object.freeze([...labels]);
  return Object.freeze({
    version,
    featureSchemaVersion,
    features: Object.freeze([...features]),
    labels: frozenLabels,
    transforms: Object.freeze(spec.transforms),
    pipeline: spec,
    wholeNight: compiled.wholeNight,
    metadata: metadata as Record<string, unknown>,
    linear: pipeline
      ? null
      : Object.freeze({
          nFeatures: features.length,
          nClasses: labels.length,
          weights: weights.data,
          bias: bias.data,
          transforms: transforms.length > 0 ? compileTransforms(transforms, features) : null,
        }),
    night: Object.freeze({ labels: frozenLabels, pipeline: compiled, weights: weights.data, bias: bias.data, decoder: spec.decoder }),
    loadedAt: new Date(),
  });
}

function parseFeatureSchema(value: unknown, fail: (r: string) => never) {
  if (!isPlainObject(value)) return fail('feature_schema.json must be an object {"version", "features"}');
  const version = value['version'];
  const features = value['features'];
  if (typeof version !== 'string' || version.length === 0) fail('feature_schema.json: "version" must be a non-empty string');
  if (!Array.isArray(features) || features.length === 0 || !features.every((f) => typeof f === 'string' && f.length > 0)) {
    fail('feature_schema.json: "features" must be a non-empty list of names');
  }
  const names = features as string[];
  if (new Set(names).size !== names.length) fail('feature_schema.json: feature names must be unique');
  return { featureSchemaVersion: version as string, features: names };
}

function parseLabelMap(value: unknown, fail: (r: string) => never): string[] {
  if (!isPlainObject(value)) return fail('label_map.json must be an object {"0": "W", ...}');
  const keys = Object.keys(value);
  if (keys.length < 2) fail('label_map.json must map at least two classes');
  if (keys.length > 255) fail('label_map.json maps more than 255 classes');
  const labels: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const name = value[String(i)];
    if (typeof name !== 'string') return fail(`label_map.json must map every class index 0..${keys.length - 1}; index ${i} is missing`);
    if (!isCanonicalStage(name)) fail(`label_map.json: "${name}" is not a canonical stage name (W, N1, N2, N3, REM, NREM, LIGHT, DEEP, SLEEP)`);
    labels.push(name);
  }
  if (new Set(labels).size !== labels.length) fail('label_map.json: stage names must be unique');
  if (!labels.includes('W')) fail('label_map.json must include the wake class "W"');
  return labels;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
