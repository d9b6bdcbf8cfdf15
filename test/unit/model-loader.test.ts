import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadModelFolder, ModelLoadError } from '../../src/models/model-loader.js';
import { ModelRegistry } from '../../src/models/model-registry.js';
import { readFloatNpy } from '../../src/models/npy.js';
import { encodeNpy } from '../../src/models/npy-write.js';
import { SHIPPED_MODELS_DIR } from '../helpers/services.js';

/** A .npy with a hand-written header, for orders and byte orders our writer never produces. */
function rawNpy(descr: string, fortran: boolean, shape: number[], body: Buffer): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const prefix = Buffer.alloc(10);
  prefix[0] = 0x93;
  prefix.write('NUMPY', 1, 'latin1');
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

describe('readFloatNpy', () => {
  it('reads C-order float32 and float64', () => {
    const f32 = readFloatNpy(encodeNpy(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]), 'w.npy');
    expect(f32.shape).toEqual([2, 3]);
    expect(Array.from(f32.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const f64 = readFloatNpy(encodeNpy(Float64Array.of(0.5, -1.25), [2]), 'b.npy');
    expect(Array.from(f64.data)).toEqual([0.5, -1.25]);
  });

  it('transposes Fortran-order matrices into row-major order', () => {
    // Column-major storage of [[1, 2, 3], [4, 5, 6]] is 1, 4, 2, 5, 3, 6.
    const body = Buffer.from(Float32Array.of(1, 4, 2, 5, 3, 6).buffer);
    const m = readFloatNpy(rawNpy('<f4', true, [2, 3], body), 'w.npy');
    expect(Array.from(m.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects what it cannot read, naming the file', () => {
    const be = Buffer.alloc(8);
    be.writeFloatBE(1, 0);
    be.writeFloatBE(2, 4);
    expect(() => readFloatNpy(rawNpy('>f4', false, [2], be), 'w.npy')).toThrow(/w\.npy: big-endian/);
    expect(() => readFloatNpy(rawNpy('<i4', false, [2], Buffer.alloc(8)), 'w.npy')).toThrow(/w\.npy: dtype i4 is not supported/);
    expect(() => readFloatNpy(rawNpy('<f4', false, [2, 2, 2], Buffer.alloc(32)), 'w.npy')).toThrow(/1- or 2-dimensional/);
    expect(() => readFloatNpy(rawNpy('<f4', false, [3, 2], Buffer.alloc(8)), 'w.npy')).toThrow(/w\.npy/);
    expect(() => readFloatNpy(Buffer.from('not numpy at all'), 'w.npy')).toThrow(/w\.npy: not a \.npy file/);
  });
});

describe('loadModelFolder validation', () => {
  let dir: string;
  const folder = () => path.join(dir, 'm');
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'noctis-loader-'));
    cpSync(path.join(SHIPPED_MODELS_DIR, 'wnr-v2'), folder(), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const fails = async (pattern: RegExp) => {
    const err = await loadModelFolder(dir, 'm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as Error).message).toMatch(pattern);
  };

  it('loads a shipped model with its transforms', async () => {
    const model = await loadModelFolder(dir, 'm');
    expect(model.labels).toEqual(['W', 'NREM', 'REM']);
    expect(model.features).toHaveLength(5);
    expect(model.transforms.map((t) => t.op)).toEqual(['log1p', 'log']);
    expect(model.linear?.transforms).not.toBeNull();
  });

  it('rejects weights whose shape disagrees with the schema or label map', async () => {
    writeFileSync(path.join(folder(), 'weights.npy'), encodeNpy(new Float32Array(12), [4, 3]));
    await fails(/weights\.npy has shape \[4, 3\].*expected \[5, 3\]/);
  });

  it('rejects a bias of the wrong length', async () => {
    writeFileSync(path.join(folder(), 'bias.npy'), encodeNpy(new Float32Array(2), [2]));
    await fails(/bias\.npy has shape \[2\], expected \[3\]/);
  });

  it('rejects non-finite values', async () => {
    writeFileSync(path.join(folder(), 'bias.npy'), encodeNpy(Float32Array.of(0, Number.NaN, 1), [3]));
    await fails(/bias\.npy contains NaN or infinite values/);
  });

  it('rejects stage names outside the canonical set and gaps in class indices', async () => {
    writeFileSync(path.join(folder(), 'label_map.json'), JSON.stringify({ 0: 'W', 1: 'DREAM', 2: 'REM' }));
    await fails(/"DREAM" is not a canonical stage name/);
    writeFileSync(path.join(folder(), 'label_map.json'), JSON.stringify({ 0: 'W', 2: 'REM', 3: 'NREM' }));
    await fails(/index 1 is missing/);
  });

  it('rejects a missing file, bad JSON, a bad schema and bad transforms', async () => {
    unlinkSync(path.join(folder(), 'metadata.json'));
    await fails(/metadata\.json is missing/);
    writeFileSync(path.join(folder(), 'metadata.json'), '{not json');
    await fails(/metadata\.json is not valid JSON/);
    writeFileSync(path.join(folder(), 'metadata.json'), '{}');
    writeFileSync(path.join(folder(), 'feature_schema.json'), JSON.stringify({ version: 'x', features: ['a', 'a'] }));
    await fails(/feature names must be unique/);
    cpSync(path.join(SHIPPED_MODELS_DIR, 'wnr-v2', 'feature_schema.json'), path.join(folder(), 'feature_schema.json'));
    writeFileSync(path.join(folder(), 'transforms.json'), JSON.stringify({ transforms: [{ feature: 'nope', op: 'log1p' }] }));
    await fails(/^transforms\.json: /);
  });
});

describe('ModelRegistry', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'noctis-registry-'));
    for (const v of ['wnr-v1', 'wnr-v2']) cpSync(path.join(SHIPPED_MODELS_DIR, v), path.join(dir, v), { recursive: true });
    cpSync(path.join(SHIPPED_MODELS_DIR, 'wnr-v1'), path.join(dir, 'broken'), { recursive: true });
    writeFileSync(path.join(dir, 'broken', 'bias.npy'), 'garbage');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const logger = pino({ level: 'silent' });

  it('lists a broken folder without failing, and picks by the default-version rule when none is configured', async () => {
    const registry = new ModelRegistry(dir, logger);
    await registry.load(undefined);
    expect(registry.active()?.version).toBe('wnr-v2');
    expect([...registry.current().broken.keys()]).toEqual(['broken']);
  });

  it('keeps the previous model when a reload names a broken or unknown version', async () => {
    const registry = new ModelRegistry(dir, logger);
    await registry.load('wnr-v1');
    await expect(registry.reload('broken')).rejects.toMatchObject({ statusCode: 422, code: 'invalid_model' });
    await expect(registry.reload('missing')).rejects.toMatchObject({ statusCode: 404, code: 'model_not_found' });
    expect(registry.active()?.version).toBe('wnr-v1');
    const held = registry.active();
    const outcome = await registry.reload('wnr-v2');
    expect(outcome.previousVersion).toBe('wnr-v1');
    // A caller that took the old model keeps an intact, unchanged object.
    expect(held?.version).toBe('wnr-v1');
    expect(registry.active()?.version).toBe('wnr-v2');
  });

  it('starts without an active model (not ready) when the configured one is broken', async () => {
    const registry = new ModelRegistry(dir, logger);
    await registry.load('broken');
    expect(registry.active()).toBeNull();
    expect(registry.current().activeError).toMatch(/bias\.npy/);
    expect(() => registry.requireActive()).toThrow(/no active model/);
  });
});
