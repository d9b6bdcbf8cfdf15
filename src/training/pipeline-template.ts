// A pipeline.json given to `npm run train -- --pipeline`: the model's pipeline, except that its
// class_share decoder may leave out share_of_sleep, which training then takes from the training
// nights' labels (per CV fold, and from all nights for the final fit).

import { readFile } from 'node:fs/promises';
import { parsePipeline, type PipelineSpec } from '../models/pipeline.js';

export interface PipelineTemplate {
  /** Validated spec; when shareFromTraining, its decoder's shareOfSleep is a placeholder. */
  readonly spec: PipelineSpec;
  readonly shareFromTraining: boolean;
}

export function parsePipelineTemplate(json: unknown, features: readonly string[], labels: readonly string[]): PipelineTemplate {
  const decoder = isRecord(json) ? json['decoder'] : undefined;
  if (isRecord(json) && isRecord(decoder) && decoder['share_of_sleep'] === undefined) {
    const filled = { ...json, decoder: { ...decoder, share_of_sleep: 0 } };
    return { spec: parsePipeline(filled, features, labels), shareFromTraining: true };
  }
  return { spec: parsePipeline(json, features, labels), shareFromTraining: false };
}

export async function readPipelineTemplate(file: string, features: readonly string[], labels: readonly string[]): Promise<PipelineTemplate> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  try {
    return parsePipelineTemplate(json, features, labels);
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
}

/**
 * Share of `className` among the sleep (non-W) labels of the training rows: what the decoder
 * steers each night towards. 0 when the rows hold no sleep.
 */
export function labelShareOfSleep(y: Uint8Array, labels: readonly string[], className: string): number {
  const target = labels.indexOf(className);
  const wake = labels.indexOf('W');
  let sleep = 0;
  let hits = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== wake) sleep++;
    if (y[i] === target) hits++;
  }
  return sleep > 0 ? hits / sleep : 0;
}

/** The spec with the decoder's share filled in (unchanged when the template fixes it). */
export function completePipeline(template: PipelineTemplate, y: Uint8Array, labels: readonly string[]): { spec: PipelineSpec; shareOfSleep: number | null } {
  const decoder = template.spec.decoder;
  if (!decoder) return { spec: template.spec, shareOfSleep: null };
  if (!template.shareFromTraining) return { spec: template.spec, shareOfSleep: decoder.shareOfSleep };
  const shareOfSleep = labelShareOfSleep(y, labels, decoder.className);
  return { spec: { ...template.spec, decoder: { ...decoder, shareOfSleep } }, shareOfSleep };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
