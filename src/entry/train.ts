// CLI: train a sleep-stage model from sleep-accel CSVs and write models/<version>/.
//   npm run train -- --data ../shared/data/sleep-accel --labels wnr \
//     --transforms log1p:activity_count,log:hr_variability:0.01 --l2 1e-3 --version wnr-v2 --out models

import { parseArgs } from 'node:util';
import { parseTransformShorthand } from '../models/transforms.js';
import { SLEEP_ACCEL_FEATURES } from '../training/csv.js';
import { isLabelSetName, LABEL_SET_NAMES, LABEL_SETS } from '../training/label-sets.js';
import type { ClassWeighting } from '../training/logistic-regression.js';
import { trainModel } from '../training/train-model.js';

const DEFAULT_L2 = '1,0.3,0.1,0.03,0.01,0.001,0';
const DEFAULT_CLASS_WEIGHT = 'balanced,none';

const HELP = `Usage: npm run train -- --data <dir> --version <name> [options]

Trains a multinomial logistic-regression sleep stager on sleep-accel per-epoch CSVs, tunes
L2 strength and class weighting by leave-subjects-out cross-validation (best pooled Cohen kappa),
refits on all subjects and writes <out>/<version>/ (weights.npy, bias.npy, label_map.json,
feature_schema.json, transforms.json if any, metadata.json).

Options:
  --data <dir>              directory of sleep-accel CSVs (one per subject)       [required]
  --version <name>          model version = output folder name          [required unless --dry-run]
  --labels <set>            ${LABEL_SET_NAMES.map((n) => `${n} (${LABEL_SETS[n].classes.join('/')})`).join(', ')}
                                                                                  [default: wnr]
  --transforms <list>       comma-separated steps applied in order before the model, or "none":
                              log1p:<feature>              ln(1 + max(x, 0))
                              log:<feature>[:<offset>]     ln(max(x + offset, 1e-12)), offset >= 0
                              clip:<feature>:<min>:<max>   either bound may be empty
                            features: ${SLEEP_ACCEL_FEATURES.join(', ')}   [default: none]
  --l2 <list>               L2 strength(s) to cross-validate                      [default: ${DEFAULT_L2}]
  --class-weight <list>     balanced and/or none                                  [default: ${DEFAULT_CLASS_WEIGHT}]
  --folds <n|loso>          grouped folds over subjects; loso = one subject per fold [default: loso]
  --compare-untransformed   also cross-validate without transforms and record it in metadata
  --out <dir>               models directory                                      [default: models]
  --force                   replace an existing <out>/<version>
  --dry-run                 cross-validate and print the report; write nothing
  --max-iter <n>            Newton iteration cap per fit                          [default: 100]
  -h, --help                show this help
`;

function parseList<T>(flag: string, name: string, parse: (s: string) => T): T[] {
  const items = flag.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new Error(`--${name} needs at least one value`);
  return items.map(parse);
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: 'string' },
      version: { type: 'string' },
      labels: { type: 'string', default: 'wnr' },
      transforms: { type: 'string', default: 'none' },
      l2: { type: 'string', default: DEFAULT_L2 },
      'class-weight': { type: 'string', default: DEFAULT_CLASS_WEIGHT },
      folds: { type: 'string', default: 'loso' },
      'compare-untransformed': { type: 'boolean', default: false },
      out: { type: 'string', default: 'models' },
      force: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      'max-iter': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.data) throw new Error('--data is required (see --help)');
  const dryRun = values['dry-run'];
  if (!values.version && !dryRun) throw new Error('--version is required unless --dry-run (see --help)');
  if (!isLabelSetName(values.labels)) throw new Error(`--labels must be one of ${LABEL_SET_NAMES.join(', ')}`);
  const features = [...SLEEP_ACCEL_FEATURES];
  const transforms = parseTransformShorthand(values.transforms, features);
  const l2Grid = parseList(values.l2, 'l2', (s) => {
    const v = Number(s);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--l2 value "${s}" must be a number >= 0`);
    return v;
  });
  const classWeightGrid = parseList(values['class-weight'], 'class-weight', (s): ClassWeighting => {
    if (s !== 'balanced' && s !== 'none') throw new Error(`--class-weight value "${s}" must be balanced or none`);
    return s;
  });
  let folds = Number.MAX_SAFE_INTEGER; // capped at the number of subjects = leave-one-subject-out
  if (values.folds !== 'loso') {
    folds = Number(values.folds);
    if (!Number.isInteger(folds) || folds < 2) throw new Error('--folds must be an integer >= 2 or "loso"');
  }
  let maxIter: number | undefined;
  if (values['max-iter'] !== undefined) {
    maxIter = Number(values['max-iter']);
    if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error('--max-iter must be a positive integer');
  }

  await trainModel({
    dataDir: values.data,
    labelSet: values.labels,
    transforms,
    l2Grid,
    classWeightGrid,
    folds,
    compareUntransformed: values['compare-untransformed'],
    version: values.version ?? 'dry-run',
    outDir: values.out,
    force: values.force,
    dryRun,
    command: ['npm', 'run', 'train', '--', ...argv].map(shellQuote).join(' '),
    ...(maxIter === undefined ? {} : { maxIter }),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`train: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
