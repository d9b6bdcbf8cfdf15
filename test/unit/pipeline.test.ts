// pipeline.json: validation (every error names the offending entry), the JSON round trip, the plain
// pipeline of models without one, needsWholeNight, and how loadModelFolder treats the file.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadModelFolder, ModelLoadError } from '../../src/models/model-loader.js';
import { encodeNpy } from '../../src/models/npy-write.js';
import {
  MAX_HALF_WIDTH,
  MAX_INPUTS,
  needsWholeNight,
  parsePipeline,
  pipelineToJson,
  plainPipeline,
  type PipelineSpec,
} from '../../src/models/pipeline.js';
import { CONTEXT_PIPELINE, writeContextModel } from '../helpers/context-model.js';

const FEATURES = ['activity_count', 'hr_variability', 'circadian_cosine', 'hours_since_start', 'clock_proxy'] as const;
const LABELS = ['W', 'NREM', 'REM'] as const;

const parse = (json: unknown) => parsePipeline(json, FEATURES, LABELS);
/** A pipeline.json with the given inputs (and nothing else). */
const withInputs = (...inputs: unknown[]) => ({ inputs });
const rolling = (over: Record<string, unknown> = {}) => ({ name: 'act_mean', op: 'rolling_mean', of: 'activity_count', half_width: 5, ...over });
const zscore = (over: Record<string, unknown> = {}) => ({ name: 'act_z', op: 'recording_zscore', of: 'activity_count', min_sd: 0.001, ...over });
const decoder = (over: Record<string, unknown> = {}) => ({ op: 'class_share', class: 'REM', share_of_sleep: 0.22, blend: 0.5, ...over });

/** The Error parse throws (fails the test if it does not throw). */
function parseError(json: unknown): string {
  try {
    parse(json);
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(json)} to be rejected`);
}

describe('parsePipeline: valid pipelines', () => {
  it('parses the context pipeline into specs in file order, with the decoder', () => {
    const spec = parse(CONTEXT_PIPELINE);
    expect(spec.transforms).toEqual([
      { feature: 'activity_count', op: 'log1p' },
      { feature: 'hr_variability', op: 'log', offset: 0.01 },
    ]);
    expect(spec.inputs).toEqual([
      { name: 'activity_count', op: 'feature' },
      { name: 'hr_variability', op: 'feature' },
      { name: 'hours_since_start', op: 'feature' },
      { name: 'activity_mean_5', op: 'rolling_mean', of: 'activity_count', halfWidth: 5 },
      { name: 'activity_sd_5', op: 'rolling_sd', of: 'activity_count', halfWidth: 5 },
      { name: 'hrv_mean_20', op: 'rolling_mean', of: 'hr_variability', halfWidth: 20 },
      { name: 'activity_z', op: 'recording_zscore', of: 'activity_count', minSd: 0.001 },
      { name: 'hrv_mean_20_z', op: 'recording_zscore', of: 'hrv_mean_20', minSd: 0.001 },
    ]);
    expect(spec.decoder).toEqual({ op: 'class_share', className: 'REM', shareOfSleep: 0.22, blend: 0.5 });
  });

  it('treats a missing or null decoder and missing transforms as none', () => {
    expect(parse(withInputs('activity_count'))).toEqual({ transforms: [], inputs: [{ name: 'activity_count', op: 'feature' }], decoder: null });
    expect(parse({ inputs: ['activity_count'], decoder: null }).decoder).toBeNull();
    expect(parse({ inputs: ['activity_count'], transforms: [] }).transforms).toEqual([]);
  });

  it('lets `of` name a feature that is not itself an input, and chain on earlier derived inputs', () => {
    const spec = parse(withInputs(rolling({ of: 'clock_proxy' }), zscore({ of: 'act_mean' }), rolling({ name: 'z_sd', op: 'rolling_sd', of: 'act_z' })));
    expect(spec.inputs.map((i) => i.name)).toEqual(['act_mean', 'act_z', 'z_sd']);
  });

  it('accepts the boundaries: half_width 1 and MAX_HALF_WIDTH, share and blend 0 and 1, MAX_INPUTS inputs', () => {
    expect(parse(withInputs(rolling({ half_width: 1 }))).inputs[0]).toMatchObject({ halfWidth: 1 });
    expect(parse(withInputs(rolling({ half_width: MAX_HALF_WIDTH }))).inputs[0]).toMatchObject({ halfWidth: MAX_HALF_WIDTH });
    for (const v of [0, 1]) {
      expect(parse({ inputs: ['activity_count'], decoder: decoder({ share_of_sleep: v, blend: v }) }).decoder).toMatchObject({ shareOfSleep: v, blend: v });
    }
    const many = Array.from({ length: MAX_INPUTS }, (_, i) => rolling({ name: `m${i}` }));
    expect(parse({ inputs: many }).inputs).toHaveLength(MAX_INPUTS);
  });
});

describe('parsePipeline: every error names the offending entry', () => {
  it('rejects a non-object, extra top-level keys, and a missing, empty or non-array "inputs"', () => {
    for (const bad of [null, [], 'inputs', 3]) expect(parseError(bad)).toMatch(/JSON object/);
    expect(parseError({ inputs: ['activity_count'], weights: [] })).toMatch(/pipeline: unexpected key "weights"/);
    for (const bad of [{}, { inputs: [] }, { inputs: 'activity_count' }, { inputs: {} }]) expect(parseError(bad)).toMatch(/"inputs" must be a non-empty array/);
  });

  it('rejects more than MAX_INPUTS inputs, saying how many', () => {
    const many = Array.from({ length: MAX_INPUTS + 1 }, (_, i) => rolling({ name: `m${i}` }));
    expect(parseError({ inputs: many })).toMatch(new RegExp(`"inputs" has ${MAX_INPUTS + 1} entries; at most ${MAX_INPUTS}`));
  });

  it('rejects a string input that is not a feature of the schema', () => {
    expect(parseError(withInputs('activity_count', 'heart_rate'))).toMatch(/^inputs\[1\]: "heart_rate" is not a feature of the schema/);
    // A derived input's name is not a feature either, even when defined earlier.
    expect(parseError(withInputs(rolling(), 'act_mean'))).toMatch(/^inputs\[1\]: "act_mean" is not a feature/);
  });

  it('rejects inputs that are neither strings nor objects', () => {
    for (const bad of [3, null, ['activity_count']]) expect(parseError(withInputs('activity_count', bad))).toMatch(/^inputs\[1\]: must be a feature name or an object/);
  });

  it('rejects an unknown op, naming the entry and the op', () => {
    expect(parseError(withInputs('activity_count', rolling({ op: 'rolling_median' })))).toMatch(/^inputs\[1\]: unknown op "rolling_median"/);
    expect(parseError(withInputs(rolling({ op: 'feature' })))).toMatch(/^inputs\[0\]: unknown op "feature"/);
    expect(parseError(withInputs(rolling({ op: undefined })))).toMatch(/^inputs\[0\]: unknown op undefined/);
  });

  it('rejects an `of` naming an unknown feature, a later input, itself, or nothing', () => {
    expect(parseError(withInputs(rolling({ of: 'heart_rate' })))).toMatch(/^inputs\[0\]: "of" must name a feature or an earlier input, got "heart_rate"/);
    // act_z is defined after the rolling mean that uses it.
    expect(parseError(withInputs(rolling({ of: 'act_z' }), zscore()))).toMatch(/^inputs\[0\]: "of" must name a feature or an earlier input, got "act_z"/);
    expect(parseError(withInputs('activity_count', zscore({ of: 'act_z' })))).toMatch(/^inputs\[1\]: "of" must name .* got "act_z"/);
    expect(parseError(withInputs(rolling({ of: undefined })))).toMatch(/^inputs\[0\]: "of" must name .* got undefined/);
    expect(parseError(withInputs(rolling({ of: 7 })))).toMatch(/^inputs\[0\]: "of" must name .* got 7/);
  });

  it('rejects a name listed twice, features and derived inputs alike', () => {
    expect(parseError(withInputs('activity_count', 'hr_variability', 'activity_count'))).toMatch(/^inputs\[2\]: input "activity_count" is listed twice/);
    expect(parseError(withInputs(rolling(), zscore({ name: 'act_mean' })))).toMatch(/^inputs\[1\]: input "act_mean" is listed twice/);
  });

  it('rejects a derived input named like a feature (listed as an input or not)', () => {
    expect(parseError(withInputs(rolling({ name: 'activity_count' })))).toMatch(/^inputs\[0\]: "activity_count" is a feature name/);
    expect(parseError(withInputs('activity_count', zscore({ name: 'clock_proxy' })))).toMatch(/^inputs\[1\]: "clock_proxy" is a feature name/);
  });

  it('rejects a missing or malformed derived name', () => {
    for (const name of [undefined, '', '9lives', 'has space', 'a'.repeat(65), 4]) {
      expect(parseError(withInputs(rolling({ name })))).toMatch(/^inputs\[0\]: "name" must match/);
    }
  });

  it('rejects half_width 0, 1.5, above MAX_HALF_WIDTH, negative, missing or not a number', () => {
    expect(parseError(withInputs(rolling({ half_width: 0 })))).toMatch(/^inputs\[0\]: "half_width" must be a number from 1 to 2880, got 0/);
    expect(parseError(withInputs('activity_count', rolling({ half_width: 1.5 })))).toMatch(/^inputs\[1\]: "half_width" must be an integer/);
    expect(parseError(withInputs(rolling({ op: 'rolling_sd', half_width: MAX_HALF_WIDTH + 1 })))).toMatch(/^inputs\[0\]: "half_width" must be a number from 1 to 2880, got 2881/);
    expect(parseError(withInputs(rolling({ half_width: -3 })))).toMatch(/^inputs\[0\]: "half_width"/);
    expect(parseError(withInputs(rolling({ half_width: undefined })))).toMatch(/^inputs\[0\]: "half_width" .* got undefined/);
    expect(parseError(withInputs(rolling({ half_width: '5' })))).toMatch(/^inputs\[0\]: "half_width" .* got "5"/);
  });

  it('rejects min_sd missing, 0, negative or not a number', () => {
    expect(parseError(withInputs(zscore({ min_sd: undefined })))).toMatch(/^inputs\[0\]: "min_sd" must be a number .* got undefined/);
    expect(parseError(withInputs('activity_count', zscore({ min_sd: 0 })))).toMatch(/^inputs\[1\]: "min_sd" must be a number .* got 0/);
    expect(parseError(withInputs(zscore({ min_sd: -0.5 })))).toMatch(/^inputs\[0\]: "min_sd" .* got -0\.5/);
    expect(parseError(withInputs(zscore({ min_sd: 'small' })))).toMatch(/^inputs\[0\]: "min_sd" .* got "small"/);
  });

  it('rejects extra keys, including the other op’s parameter', () => {
    expect(parseError(withInputs(rolling({ min_sd: 0.1 })))).toMatch(/^inputs\[0\]: unexpected key "min_sd"/);
    expect(parseError(withInputs(zscore({ half_width: 3 })))).toMatch(/^inputs\[0\]: unexpected key "half_width"/);
    expect(parseError(withInputs('activity_count', rolling({ comment: 'x' })))).toMatch(/^inputs\[1\]: unexpected key "comment"/);
    expect(parseError({ inputs: ['activity_count'], decoder: decoder({ target: 10 }) })).toMatch(/^decoder: unexpected key "target"/);
    expect(parseError({ inputs: ['activity_count'], transforms: [{ feature: 'activity_count', op: 'log1p', base: 2 }] })).toMatch(/^transforms\[0\]: unexpected key "base"/);
  });

  it('rejects bad transforms with the transform step named', () => {
    expect(parseError({ inputs: ['activity_count'], transforms: [{ feature: 'activity_count', op: 'log1p' }, { feature: 'heart_rate', op: 'log1p' }] })).toMatch(
      /^transforms\[1\]: unknown feature "heart_rate"/,
    );
    expect(parseError({ inputs: ['activity_count'], transforms: { feature: 'activity_count' } })).toMatch(/"transforms" must be an array/);
  });

  it('rejects a decoder that is not an object, has an unknown op, or names a class outside the label map or W', () => {
    const bad = (d: unknown) => parseError({ inputs: ['activity_count'], decoder: d });
    expect(bad('class_share')).toMatch(/^decoder: must be an object/);
    expect(bad(decoder({ op: 'viterbi' }))).toMatch(/^decoder: unknown op "viterbi"/);
    expect(bad(decoder({ class: 'N3' }))).toMatch(/^decoder: "class" must be one of the label map's classes \(W, NREM, REM\), got "N3"/);
    expect(bad(decoder({ class: undefined }))).toMatch(/^decoder: "class" must be one of .* got undefined/);
    expect(bad(decoder({ class: 'W' }))).toMatch(/^decoder: "class" must be a sleep class, not W/);
  });

  it('rejects share_of_sleep and blend outside [0, 1] or missing', () => {
    const bad = (d: unknown) => parseError({ inputs: ['activity_count'], decoder: d });
    for (const key of ['share_of_sleep', 'blend']) {
      for (const v of [-0.01, 1.01, undefined, '0.5', null]) {
        expect(bad(decoder({ [key]: v }))).toMatch(new RegExp(`^decoder: "${key}" must be a number from 0 to 1, got ${JSON.stringify(v)}`));
      }
    }
  });
});

describe('pipelineToJson', () => {
  it('round trips: parse → toJson → parse gives the same spec, and toJson of that the same JSON', () => {
    const cases: unknown[] = [
      CONTEXT_PIPELINE,
      withInputs('activity_count'),
      { inputs: [rolling({ of: 'clock_proxy', half_width: MAX_HALF_WIDTH }), zscore({ of: 'act_mean', min_sd: 1e-9 })], decoder: decoder({ share_of_sleep: 0, blend: 1 }) },
      {
        transforms: [
          { feature: 'hr_variability', op: 'clip', min: 0 },
          { feature: 'hr_variability', op: 'log' },
          { feature: 'clock_proxy', op: 'clip', min: -1, max: 1 },
        ],
        inputs: ['hr_variability', 'clock_proxy', rolling({ name: 'r', op: 'rolling_sd', of: 'hr_variability' })],
        decoder: null,
      },
    ];
    for (const json of cases) {
      const spec = parse(json);
      const out = pipelineToJson(spec);
      // Through real JSON text, as the trainer writes it and the loader reads it.
      const again = parse(JSON.parse(JSON.stringify(out)));
      expect(again).toEqual(spec);
      expect(pipelineToJson(again)).toEqual(out);
    }
  });

  it('writes the file’s key names and omits empty transforms and a missing decoder', () => {
    expect(pipelineToJson(parse(CONTEXT_PIPELINE))).toEqual(CONTEXT_PIPELINE);
    expect(pipelineToJson(parse({ inputs: ['activity_count', zscore()], transforms: [], decoder: null }))).toEqual({
      inputs: ['activity_count', { name: 'act_z', op: 'recording_zscore', of: 'activity_count', min_sd: 0.001 }],
    });
  });
});

describe('plainPipeline and needsWholeNight', () => {
  it('plainPipeline lists every feature as an input, keeps the transforms, has no decoder, and is per-epoch', () => {
    const transforms = [{ feature: 'activity_count', op: 'log1p' } as const];
    const spec = plainPipeline(FEATURES, transforms);
    expect(spec).toEqual({ transforms, inputs: FEATURES.map((name) => ({ name, op: 'feature' })), decoder: null });
    expect(needsWholeNight(spec)).toBe(false);
    // The same pipeline written as pipeline.json parses to the same spec.
    expect(parse(pipelineToJson(spec))).toEqual(spec);
  });

  it('needsWholeNight is true exactly when an input is derived or there is a decoder', () => {
    const spec = (json: unknown): PipelineSpec => parse(json);
    expect(needsWholeNight(spec({ inputs: ['activity_count', 'clock_proxy'], transforms: [{ feature: 'activity_count', op: 'log1p' }] }))).toBe(false);
    expect(needsWholeNight(spec(withInputs('activity_count', rolling())))).toBe(true);
    expect(needsWholeNight(spec(withInputs(rolling({ op: 'rolling_sd' }))))).toBe(true);
    expect(needsWholeNight(spec(withInputs(zscore())))).toBe(true);
    expect(needsWholeNight(spec({ inputs: ['activity_count'], decoder: decoder() }))).toBe(true);
    expect(needsWholeNight(spec(CONTEXT_PIPELINE))).toBe(true);
  });
});

describe('loadModelFolder with pipeline.json', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'noctis-pipeline-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The ModelLoadError loadModelFolder rejects with. */
  async function loadError(version: string): Promise<ModelLoadError> {
    const err = await loadModelFolder(dir, version).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).version).toBe(version);
    return err as ModelLoadError;
  }

  it('loads a valid context folder as a whole-night model without the per-epoch kernel', async () => {
    writeContextModel(dir, 'ctx');
    const model = await loadModelFolder(dir, 'ctx');
    expect(model.linear).toBeNull();
    expect(model.wholeNight).toBe(true);
    expect(model.pipeline).toEqual(parse(CONTEXT_PIPELINE));
    expect(model.transforms).toEqual(parse(CONTEXT_PIPELINE).transforms);
    expect(model.night.pipeline.inputNames).toEqual(CONTEXT_PIPELINE.inputs.map((i) => (typeof i === 'string' ? i : i.name)));
    expect(model.night.pipeline.wholeNight).toBe(true);
    expect(model.night.decoder).toEqual({ op: 'class_share', className: 'REM', shareOfSleep: 0.22, blend: 0.5 });
    expect(model.night.weights).toHaveLength(CONTEXT_PIPELINE.inputs.length * 3);
  });

  it('loads a pipeline.json of plain features as per-epoch (wholeNight false), still without the linear kernel', async () => {
    const folder = writeContextModel(dir, 'plain');
    writeFileSync(path.join(folder, 'pipeline.json'), JSON.stringify({ inputs: ['activity_count', 'hr_variability'] }));
    writeFileSync(path.join(folder, 'weights.npy'), encodeNpy(new Float32Array(6), [2, 3]));
    const model = await loadModelFolder(dir, 'plain');
    expect(model.wholeNight).toBe(false);
    expect(model.linear).toBeNull();
  });

  it('refuses a folder with both transforms.json and pipeline.json', async () => {
    const folder = writeContextModel(dir, 'both');
    writeFileSync(path.join(folder, 'transforms.json'), JSON.stringify({ transforms: [] }));
    expect((await loadError('both')).message).toMatch(/pipeline\.json and transforms\.json both exist/);
  });

  it('refuses weights.npy whose row count is not the number of inputs, naming both', async () => {
    const folder = writeContextModel(dir, 'rows');
    // Five rows: one per feature, as a model without pipeline.json would have.
    writeFileSync(path.join(folder, 'weights.npy'), encodeNpy(new Float32Array(15), [5, 3]));
    const message = (await loadError('rows')).message;
    expect(message).toMatch(/weights\.npy has shape \[5, 3\]/);
    expect(message).toMatch(/pipeline\.json has 8 inputs/);
    expect(message).toMatch(/expected \[8, 3\]/);
  });

  it('reports pipeline.json errors with the file name and the entry', async () => {
    const folder = writeContextModel(dir, 'bad');
    const write = (json: unknown) => writeFileSync(path.join(folder, 'pipeline.json'), JSON.stringify(json));
    write({ ...CONTEXT_PIPELINE, inputs: [...CONTEXT_PIPELINE.inputs.slice(0, 3), rolling({ half_width: 0 })] });
    expect((await loadError('bad')).message).toMatch(/^pipeline\.json: inputs\[3\]: "half_width"/);
    write({ ...CONTEXT_PIPELINE, decoder: decoder({ class: 'N2' }) });
    expect((await loadError('bad')).message).toMatch(/^pipeline\.json: decoder: "class"/);
    writeFileSync(path.join(folder, 'pipeline.json'), '{"inputs": [');
    expect((await loadError('bad')).message).toMatch(/^pipeline\.json is not valid JSON/);
  });
});
