// A model's feature pipeline (optional `pipeline.json` in a model folder): what turns one night of
// raw canonical feature vectors into the model's inputs, and how a night's logits become stages.
//
//   {"transforms": [ ...the transforms.json steps... ],
//    "inputs": ["activity_count",                                       a (transformed) feature
//               {"name": "act_mean_10", "op": "rolling_mean", "of": "activity_count", "half_width": 10},
//               {"name": "act_sd_10", "op": "rolling_sd", "of": "activity_count", "half_width": 10},
//               {"name": "act_z", "op": "recording_zscore", "of": "activity_count", "min_sd": 0.001}],
//    "decoder": {"op": "class_share", "class": "REM", "share_of_sleep": 0.24, "blend": 0.75}}
//
// `of` names a feature or an earlier input. weights.npy has one row per input, in this order.
// Rolling windows are centred, ±half_width epochs by epoch index; epochs missing from the window
// are left out (never zero-filled). recording_zscore standardises over every epoch of the night
// with the deviation floored at min_sd. The decoder is optional (see scoring/night-decoder.ts).

import { parseTransforms, type TransformSpec } from './transforms.js';

export const INPUT_OPS = ['rolling_mean', 'rolling_sd', 'recording_zscore'] as const;
export type InputOp = (typeof INPUT_OPS)[number];

/** Largest rolling half-width: a day of 30 s epochs either side. */
export const MAX_HALF_WIDTH = 2880;
export const MAX_INPUTS = 256;

export type InputSpec =
  | { readonly name: string; readonly op: 'feature' }
  | { readonly name: string; readonly op: 'rolling_mean' | 'rolling_sd'; readonly of: string; readonly halfWidth: number }
  | { readonly name: string; readonly op: 'recording_zscore'; readonly of: string; readonly minSd: number };

export interface ClassShareDecoder {
  readonly op: 'class_share';
  /** The class whose per-night share is steered (usually REM). */
  readonly className: string;
  /** Share of the class among sleep epochs in the training nights' labels (filled in by training). */
  readonly shareOfSleep: number;
  /** 1: every night gets the training share; 0: the model's own share (no change). */
  readonly blend: number;
}

export type DecoderSpec = ClassShareDecoder;

export interface PipelineSpec {
  readonly transforms: readonly TransformSpec[];
  readonly inputs: readonly InputSpec[];
  readonly decoder: DecoderSpec | null;
}

const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new Error(`${where}: unexpected key "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

function finiteIn(obj: Record<string, unknown>, key: string, min: number, max: number, where: string): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new Error(`${where}: "${key}" must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Validates parsed pipeline.json against the model's feature list and label map. Throws an Error
 * naming the offending entry; the loader adds the file name.
 */
export function parsePipeline(json: unknown, features: readonly string[], labels: readonly string[]): PipelineSpec {
  if (!isRecord(json)) throw new Error('must be a JSON object with an "inputs" array');
  onlyKeys(json, ['transforms', 'inputs', 'decoder'], 'pipeline');
  const transforms = json['transforms'] === undefined ? [] : parseTransforms({ transforms: json['transforms'] }, features);
  const list = json['inputs'];
  if (!Array.isArray(list) || list.length === 0) throw new Error('"inputs" must be a non-empty array');
  if (list.length > MAX_INPUTS) throw new Error(`"inputs" has ${list.length} entries; at most ${MAX_INPUTS}`);
  const known = new Set<string>(features);
  const inputNames = new Set<string>();
  const inputs: InputSpec[] = list.map((raw: unknown, i: number): InputSpec => {
    const where = `inputs[${i}]`;
    const spec = parseInput(raw, where, features, known);
    if (inputNames.has(spec.name)) throw new Error(`${where}: input "${spec.name}" is listed twice`);
    inputNames.add(spec.name);
    known.add(spec.name);
    return spec;
  });
  const decoder = json['decoder'] === undefined || json['decoder'] === null ? null : parseDecoder(json['decoder'], labels);
  return { transforms, inputs, decoder };
}

function parseInput(raw: unknown, where: string, features: readonly string[], known: ReadonlySet<string>): InputSpec {
  if (typeof raw === 'string') {
    if (!features.includes(raw)) throw new Error(`${where}: "${raw}" is not a feature of the schema (${features.join(', ')})`);
    return { name: raw, op: 'feature' };
  }
  if (!isRecord(raw)) throw new Error(`${where}: must be a feature name or an object {"name", "op", "of", ...}`);
  const name = raw['name'];
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new Error(`${where}: "name" must match ${NAME_PATTERN} (letters, digits, "_", ".", "-")`);
  }
  if (features.includes(name)) throw new Error(`${where}: "${name}" is a feature name; derived inputs need their own name`);
  const op = raw['op'];
  if (typeof op !== 'string' || !(INPUT_OPS as readonly string[]).includes(op)) {
    throw new Error(`${where}: unknown op ${JSON.stringify(op)} (expected one of ${INPUT_OPS.join(', ')})`);
  }
  const of = raw['of'];
  if (typeof of !== 'string' || !known.has(of)) {
    throw new Error(`${where}: "of" must name a feature or an earlier input, got ${JSON.stringify(of)}`);
  }
  if (op === 'recording_zscore') {
    onlyKeys(raw, ['name', 'op', 'of', 'min_sd'], where);
    // A floor keeps a night of a few identical epochs finite.
    const minSd = finiteIn(raw, 'min_sd', 1e-9, 1e9, where);
    return { name, op, of, minSd };
  }
  onlyKeys(raw, ['name', 'op', 'of', 'half_width'], where);
  const halfWidth = finiteIn(raw, 'half_width', 1, MAX_HALF_WIDTH, where);
  if (!Number.isInteger(halfWidth)) throw new Error(`${where}: "half_width" must be an integer`);
  return { name, op: op as 'rolling_mean' | 'rolling_sd', of, halfWidth };
}

function parseDecoder(raw: unknown, labels: readonly string[]): DecoderSpec {
  const where = 'decoder';
  if (!isRecord(raw)) throw new Error(`${where}: must be an object {"op": "class_share", ...}`);
  if (raw['op'] !== 'class_share') throw new Error(`${where}: unknown op ${JSON.stringify(raw['op'])} (expected class_share)`);
  onlyKeys(raw, ['op', 'class', 'share_of_sleep', 'blend'], where);
  const className = raw['class'];
  if (typeof className !== 'string' || !labels.includes(className)) {
    throw new Error(`${where}: "class" must be one of the label map's classes (${labels.join(', ')}), got ${JSON.stringify(className)}`);
  }
  if (className === 'W') throw new Error(`${where}: "class" must be a sleep class, not W`);
  return {
    op: 'class_share',
    className,
    shareOfSleep: finiteIn(raw, 'share_of_sleep', 0, 1, where),
    blend: finiteIn(raw, 'blend', 0, 1, where),
  };
}

/** The pipeline.json shape of a spec (inverse of parsePipeline). */
export function pipelineToJson(spec: PipelineSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (spec.transforms.length > 0) out['transforms'] = spec.transforms.map((t) => ({ ...t }));
  out['inputs'] = spec.inputs.map((input) => {
    if (input.op === 'feature') return input.name;
    if (input.op === 'recording_zscore') return { name: input.name, op: input.op, of: input.of, min_sd: input.minSd };
    return { name: input.name, op: input.op, of: input.of, half_width: input.halfWidth };
  });
  if (spec.decoder) {
    const d = spec.decoder;
    out['decoder'] = { op: d.op, class: d.className, share_of_sleep: d.shareOfSleep, blend: d.blend };
  }
  return out;
}

/** The pipeline every model without pipeline.json has: its features (after transforms.json) as inputs. */
export function plainPipeline(features: readonly string[], transforms: readonly TransformSpec[]): PipelineSpec {
  return { transforms, inputs: features.map((name) => ({ name, op: 'feature' as const })), decoder: null };
}

/** True when a prediction depends on other epochs of the night (windows, night statistics, decoder). */
export function needsWholeNight(spec: PipelineSpec): boolean {
  return spec.decoder !== null || spec.inputs.some((input) => input.op !== 'feature');
}
