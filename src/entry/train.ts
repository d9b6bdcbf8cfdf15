// CLI: train a sleep-stage model from sleep-accel CSVs and write models/<version>/.
//   npm run train -- --data ../shared/data/sleep-accel --labels wnr \
//     --pipeline pipelines/context-v3.json --prior-calibration --class-weight none --version wnr-v3
// or refresh an existing version's metadata (weights untouched):
//   npm run train -- --refresh-metadata models/wnr-v2 --data ../shared/data/sleep-accel

import { parseArgs } from 'node:util';
import { parseTransformShorthand } from '../models/transforms.js';
import { SLEEP_ACCEL_FEATURES } from '../training/csv.js';
import { formatReport } from '../training/cv-format.js';
import { isLabelSetName, LABEL_SET_NAMES, LABEL_SETS } from '../training/label-sets.js';
import type { ClassWeighting } from '../training/logistic-regression.js';
import { readPipelineTemplate } from '../training/pipeline-template.js';
import { refreshMetadata } from '../training/refresh-metadata.js';
import { trainModel } from '../training/train-model.js';

const DEFAULT_L2 = '1,0.3,0.1,0.03,0.01,0.001,0';
const DEFAULT_CLASS_WEIGHT = 'balanced,none';

const HELP = `Usage: npm run train -- --data <dir> --version <name> [options]

       npm run train -- --refresh-metadata <models/version> --data <dir> [--folds <n|loso>]

Trains a multinomial logistic-regression sleep stager on sleep-accel per-epoch CSVs (values read
as float32, as the service stores them), tunes L2 strength and class weighting by
leave-subjects-out cross-validation (best pooled Cohen kappa over the model's classes; every
held-out night is scored whole, decoder included, as served), refits on all subjects and writes
<out>/<version>/ (weights.npy, bias.npy, label_map.json, feature_schema.json, pipeline.json or
transforms.json, metadata.json with the CV report: kappas, recall, confusion, night-statistics
errors beside trivial answers).

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
  --pipeline <file.json>    model pipeline (pipeline.json format: transforms, inputs, decoder);
                            instead of --transforms. A class_share decoder without share_of_sleep
                            gets it from the training labels (per CV fold and for the final fit)
  --prior-calibration       per-class bias offsets fitted on the training rows so that argmax class
                            frequencies match label frequencies (per fold in CV)
  --l2 <list>               L2 strength(s) to cross-validate                      [default: ${DEFAULT_L2}]
  --class-weight <list>     balanced and/or none                                  [default: ${DEFAULT_CLASS_WEIGHT}]
  --folds <n|loso>          grouped folds over subjects; loso = one subject per fold [default: loso]
  --compare-untransformed   also cross-validate without transforms and record it in metadata
  --out <dir>               models directory                                      [default: models]
  --force                   replace an existing <out>/<version>
  --dry-run                 cross-validate and print the report; write nothing
  --max-iter <n>            Newton iteration cap per fit                          [default: 100]
  --refresh-metadata <dir>  re-run the CV of an existing model folder with the hyperparameters its
                            metadata records and rewrite only its metadata.json (needs --data;
                            --folds defaults to the recorded number)
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

/** More folds than subjects is capped at the number of subjects: leave-one-subject-out. */
const LOSO = Number.MAX_SAFE_INTEGER;

function parseFolds(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  if (flag === 'loso') return LOSO;
  const folds = Number(flag);
  if (!Number.isInteger(folds) || folds < 2) throw new Error('--folds must be an integer >= 2 or "loso"');
  return folds;
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
      folds: { type: 'string' },
      pipeline: { type: 'string' },
      'prior-calibration': { type: 'boolean', default: false },
      'refresh-metadata': { type: 'string' },
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
  const command = ['npm', 'run', 'train', '--', ...argv].map(shellQuote).join(' ');
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const folds = parseFolds(values.folds);
  if (values['refresh-metadata'] !== undefined) {
    const result = await refreshMetadata({
      modelDir: values['refresh-metadata'],
      dataDir: values.data,
      ...(folds === undefined ? {} : { folds }),
      command,
      log,
    });
    log(formatReport(result.report).join('\n'));
    return 0;
  }
  const dryRun = values['dry-run'];
  if (!values.version && !dryRun) throw new Error('--version is required unless --dry-run (see --help)');
  if (!isLabelSetName(values.labels)) throw new Error(`--labels must be one of ${LABEL_SET_NAMES.join(', ')}`);
  const features = [...SLEEP_ACCEL_FEATURES];
  if (values.pipeline !== undefined && values.transforms !== 'none') throw new Error('--pipeline and --transforms exclude each other (put transforms in the pipeline file)');
  const transforms = parseTransformShorthand(values.transforms, features);
  const pipeline =
    values.pipeline === undefined
      ? null
      : { file: values.pipeline, template: await readPipelineTemplate(values.pipeline, features, LABEL_SETS[values.labels].classes) };
  const l2Grid = parseList(values.l2, 'l2', (s) => {
    const v = Number(s);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--l2 value "${s}" must be a number >= 0`);
    return v;
  });
  const classWeightGrid = parseList(values['class-weight'], 'class-weight', (s): ClassWeighting => {
    if (s !== 'balanced' && s !== 'none') throw new Error(`--class-weight value "${s}" must be balanced or none`);
    return s;
  });
  let maxIter: number | undefined;
  if (values['max-iter'] !== undefined) {
    maxIter = Number(values['max-iter']);
    if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error('--max-iter must be a positive integer');
  }

  await trainModel({
    dataDir: values.data,
    labelSet: values.labels,
    transforms,
    pipeline,
    priorCalibration: values['prior-calibration'],
    l2Grid,
    classWeightGrid,
    folds: folds ?? LOSO,
    compareUntransformed: values['compare-untransformed'],
    version: values.version ?? 'dry-run',
    outDir: values.out,
    force: values.force,
    dryRun,
    command,
    ...(maxIter === undefined ? {} : { maxIter }),
    log,
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
