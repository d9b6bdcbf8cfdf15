import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config/config.js';
import { configProblems as problems } from '../helpers/config-problems.js';
import { REPO_ROOT } from '../helpers/services.js';


describe('recording and request limits', () => {
  it('defaults to 5760 epochs per recording and a whole recording per request', () => {
    const config = loadConfig({});
    expect(config.MAX_RECORDING_EPOCHS).toBe(5760);
    expect(config.MAX_EPOCHS_PER_REQUEST).toBe(5760);
  });

  it('follows MAX_RECORDING_EPOCHS when MAX_EPOCHS_PER_REQUEST is unset or empty', () => {
    expect(loadConfig({ MAX_RECORDING_EPOCHS: '2880' }).MAX_EPOCHS_PER_REQUEST).toBe(2880);
    expect(loadConfig({ MAX_RECORDING_EPOCHS: '2880', MAX_EPOCHS_PER_REQUEST: '' }).MAX_EPOCHS_PER_REQUEST).toBe(2880);
    expect(loadConfig({ MAX_RECORDING_EPOCHS: '2880', MAX_EPOCHS_PER_REQUEST: '1000' }).MAX_EPOCHS_PER_REQUEST).toBe(1000);
  });

  it('rejects MAX_EPOCHS_PER_REQUEST above MAX_RECORDING_EPOCHS, naming both', () => {
    const found = problems({ MAX_EPOCHS_PER_REQUEST: '20000' });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('MAX_EPOCHS_PER_REQUEST="20000"');
    expect(found[0]).toContain('MAX_RECORDING_EPOCHS (5760)');
    expect(problems({ MAX_EPOCHS_PER_REQUEST: '5760' })).toEqual([]);
    expect(problems({ MAX_RECORDING_EPOCHS: '20000', MAX_EPOCHS_PER_REQUEST: '20000' })).toEqual([]);
  });

  it('bounds MAX_RECORDING_EPOCHS', () => {
    expect(problems({ MAX_RECORDING_EPOCHS: '0' })[0]).toMatch(/^MAX_RECORDING_EPOCHS="0"/);
    expect(problems({ MAX_RECORDING_EPOCHS: '100001' })[0]).toMatch(/^MAX_RECORDING_EPOCHS="100001"/);
  });
});

describe('documentation of the configuration', () => {
  it('.env.example and the README configuration table list every variable', () => {
    const example = readFileSync(path.join(REPO_ROOT, '.env.example'), 'utf8');
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Running the parts'));
    expect(CONFIG_VARIABLES.filter((name) => !new RegExp(`^${name}=`, 'm').test(example))).toEqual([]);
    expect(CONFIG_VARIABLES.filter((name) => !table.includes(`\`${name}\``))).toEqual([]);
  });
});
