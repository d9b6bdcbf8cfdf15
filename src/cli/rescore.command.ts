import type { AppContext } from '../app-context.js';
import { AppError } from '../errors/app-error.js';
import { validate } from '../http/validate.js';
import { findJob } from '../jobs/jobs.repository.js';
import type { RescoreProgress } from '../rescore/rescore.parent.js';
import { RescoreBody } from '../rescore/rescore.schemas.js';
import { startRescore } from '../rescore/rescore.service.js';
import { withAppContext } from './app-context.js';
import { parseCommandArgs, UsageError, type CliCommand, type CliRuntime } from './command.js';
import { ProgressBar } from './progress-bar.js';

const HELP = `Usage: npm run cli -- rescore [--model <version>] [filters] [--wait]

Starts a bulk re-score: the stored epochs the filters select are scored again with <version>
(default: the active model) by the worker processes, and that version's predictions replaced.

Options:
  --model <version>       model version to score with                  [default: the active one]
  --recording <id>        only this recording (repeatable)
  --device <id>           only recordings of this device
  --from <iso>, --to <iso> only epochs with from <= ts < to
  --only-missing          only epochs without a prediction of <version>
  --wait                  show progress until the job ends; exit 0 when it completed
  --poll-ms <n>           how often --wait polls                                   [default: 500]
  -h, --help              show this help

Exit codes: 0 started (or completed with --wait), 1 failed or cancelled, 2 usage or request error.
Ctrl-C while waiting stops waiting; the re-score goes on (DELETE /v1/jobs/<id> cancels it).
`;

function parse(argv: readonly string[]) {
  return parseCommandArgs(argv, {
    model: { type: 'string' },
    recording: { type: 'string', multiple: true },
    device: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'only-missing': { type: 'boolean', default: false },
    wait: { type: 'boolean', default: false },
    'poll-ms': { type: 'string', default: '500' },
    help: { type: 'boolean', short: 'h', default: false },
  }, false).values;
}

export const rescoreCommand: CliCommand = {
  summary: 'start a bulk re-score of stored epochs with a model version (--wait shows progress)',
  async run(argv, runtime) {
    const values = parse(argv);
    if (values.help) {
      runtime.stdout.write(HELP);
      return 0;
    }
    const pollMs = Number(values['poll-ms']);
    if (!Number.isInteger(pollMs) || pollMs < 10) throw new UsageError('--poll-ms must be an integer >= 10');
    const body = {
      ...(values.model === undefined ? {} : { model_version: values.model }),
      ...(values.recording === undefined ? {} : { recording_ids: values.recording }),
      ...(values.device === undefined ? {} : { device_id: values.device }),
      ...(values.from === undefined ? {} : { from: values.from }),
      ...(values.to === undefined ? {} : { to: values.to }),
      ...(values['only-missing'] ? { only_missing: true } : {}),
    };
    return withAppContext(runtime, async (ctx) => {
      let started;
      try {
        started = await startRescore(ctx, validate(RescoreBody, body, 'rescore options'), 'cli');
      } catch (err) {
        if (err instanceof AppError && err.statusCode < 500) throw new UsageError(`${err.code}: ${err.message}`);
        throw err;
      }
      runtime.stdout.write(`rescore job ${started.jobId} started with model ${started.modelVersion}\n`);
      if (!values.wait) return 0;
      return waitForEnd(ctx, runtime, started.jobId, pollMs);
    });
  },
};

async function waitForEnd(ctx: AppContext, runtime: CliRuntime, jobId: string, pollMs: number): Promise<number> {
  const bar = new ProgressBar(runtime.stderr, runtime.interactive);
  let interrupted = false;
  void runtime.interrupted.then(() => (interrupted = true));
  for (;;) {
    const job = await findJob(ctx.db, jobId);
    if (!job) throw new Error(`job ${jobId} disappeared`);
    const progress = job.progress as Partial<RescoreProgress>;
    bar.update(progress.done ?? 0, progress.total ?? 0, job.state === 'queued' ? '  (queued)' : '');
    if (job.state !== 'queued' && job.state !== 'active') {
      bar.end();
      runtime.stdout.write(`rescore job ${jobId} ${job.state}: ${JSON.stringify(job.result)}\n`);
      if (job.error) runtime.stdout.write(`error: ${JSON.stringify(job.error)}\n`);
      return job.state === 'completed' ? 0 : 1;
    }
    if (interrupted) {
      bar.end();
      runtime.stdout.write(`stopped waiting; rescore job ${jobId} is still ${job.state} (GET /v1/jobs/${jobId})\n`);
      return 130;
    }
    await Promise.race([new Promise((r) => setTimeout(r, pollMs)), runtime.interrupted]);
  }
}
