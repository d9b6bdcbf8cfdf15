// CLI: `npm run cli -- <command> [options]`; `npm run cli -- help` lists the commands.
import { pino } from 'pino';
import { COMMANDS } from '../cli/commands.js';
import { UsageError, type CliRuntime } from '../cli/command.js';
import { configOrExit } from './run.js';
import { isDatabaseUnavailable } from '../db/connection-errors.js';
import { PG_UNKNOWN_DATABASE, pgCode } from '../db/pg-errors.js';

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: npm run cli -- <command> [options]   (<command> --help for its options)\n\nCommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`cli: unknown command "${name}"\n\n${help()}`);
    return 2;
  }
  const config = configOrExit();
  // Logs go to stderr so stdout carries only the command's output; quieter than a server by default.
  const level = ['debug', 'trace'].includes(config.LOG_LEVEL) ? config.LOG_LEVEL : 'warn';
  const logger = pino({ level, base: { service: 'noctis', role: 'cli', command: name } }, pino.destination(2));
  let signals = 0;
  const interrupted = new Promise<void>((resolve) =>
    process.on('SIGINT', () => {
      signals += 1;
      if (signals > 1) process.exit(130);
      resolve();
    }),
  );
  const runtime: CliRuntime = { config, logger, stdout: process.stdout, stderr: process.stderr, interactive: process.stderr.isTTY === true, interrupted };
  try {
    return await command.run(rest, runtime);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** The error's message, or its code (node reports a refused dual-stack connect as an AggregateError without one). */
const describe = (err: unknown): string =>
  err instanceof AggregateError ? err.errors.map(describe).join(', ') : (err instanceof Error && err.message) || pgCode(err) || String(err);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // An outage is the operator's to fix, not a bug: one line naming it, no stack.
    if (isDatabaseUnavailable(err)) process.stderr.write(`cli: the database is unreachable (${describe(err)}); check DATABASE_URL and that PostgreSQL runs\n`);
    else if (pgCode(err) === PG_UNKNOWN_DATABASE) process.stderr.write(`cli: ${describe(err)}; check DATABASE_URL, or run \`npm run migrate\` to create it\n`);
    else process.stderr.write(`cli: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
