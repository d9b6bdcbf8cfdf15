import type { AppContext } from '../app-context.js';
import { closeRecording, countIdleRecordings, findIdleRecordings, modelsOfSchema } from '../nights/recording-close.js';
import { withAppContext } from './app-context.js';
import { parseCommandArgs, UsageError, type CliCommand, type CliRuntime } from './command.js';
import { ProgressBar } from './progress-bar.js';

const HELP = `Usage: npm run cli -- nights backfill [--idle-minutes <n>] [--dry-run]

Gives recordings that exist from before nights were stored their nights: closes every open
recording that received no upload for the idle period and has none waiting, as the workers' idle
closer and POST /v1/recordings/{id}:close do. Closing dates the night in the device's time zone
(PATCH /v1/devices/{id} first when it is not UTC) and stores the summary of every loaded model
version that has predictions of it. Safe to run again; recordings still receiving uploads stay open
and are closed later by the workers.

Options:
  --idle-minutes <n>   idle period (fractions allowed; 0: every recording without a waiting upload)
                                                                    [default: RECORDING_IDLE_MINUTES]
  --dry-run            only count the recordings it would close
  -h, --help           show this help

Exit codes: 0 done, 1 some recordings could not be closed (listed on stderr), 2 usage error.
`;

function parse(argv: readonly string[]) {
  return parseCommandArgs(argv, {
    'idle-minutes': { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, true);
}

const PAGE = 100;

export const nightsCommand: CliCommand = {
  summary: 'nights backfill: close idle recordings from before nights were stored, storing their nights',
  async run(argv, runtime) {
    const { values, positionals } = parse(argv);
    if (values.help || positionals.length === 0) {
      runtime.stdout.write(HELP);
      return values.help ? 0 : 2;
    }
    if (positionals[0] !== 'backfill' || positionals.length > 1) throw new UsageError(`unknown action "${positionals.join(' ')}"; use backfill`);
    const raw = values['idle-minutes'];
    const minutes = raw === undefined ? runtime.config.RECORDING_IDLE_MINUTES : Number(raw);
    if (!Number.isFinite(minutes) || minutes < 0) throw new UsageError('--idle-minutes must be a number >= 0');
    return withAppContext(runtime, (ctx) => backfill(ctx, runtime, minutes * 60, values['dry-run']));
  },
};

async function backfill(ctx: AppContext, runtime: CliRuntime, idleSeconds: number, dryRun: boolean): Promise<number> {
  const total = await countIdleRecordings(ctx.db, idleSeconds);
  if (dryRun) {
    runtime.stdout.write(`${total} open recordings idle for ${idleSeconds / 60} minutes would be closed\n`);
    return 0;
  }
  const models = modelsOfSchema(ctx.registry);
  const bar = new ProgressBar(runtime.stderr, runtime.interactive);
  let interrupted = false;
  void runtime.interrupted.then(() => (interrupted = true));
  let done = 0;
  let closed = 0;
  const failed: string[] = [];
  // By id, so a recording that cannot be closed is passed over rather than met again.
  let after: string | null = null;
  while (!interrupted) {
    const ids = await findIdleRecordings(ctx.db, idleSeconds, PAGE, after);
    for (const id of ids) {
      try {
        if ((await closeRecording(ctx.db, models, id, { idleSeconds }))?.closedNow) closed++;
      } catch (err) {
        failed.push(id);
        runtime.stderr.write(`\ncould not close ${id}: ${(err as Error).message}\n`);
      }
      bar.update(++done, Math.max(total, done), ' recordings');
    }
    if (ids.length < PAGE) break;
    after = ids[ids.length - 1]!;
  }
  bar.end();
  const stored = await ctx.db.selectFrom('night_summaries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  runtime.stdout.write(`closed ${closed} recordings${interrupted ? ' (interrupted; run it again to go on)' : ''}; ${failed.length} failed; ${Number(stored.n)} night summaries stored in all\n`);
  return failed.length > 0 ? 1 : interrupted ? 130 : 0;
}
