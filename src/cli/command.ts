import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Writable } from 'node:stream';
import type { Config } from '../config/config.js';
import type { Logger } from '../logging/logger.js';

/** What the entry file hands a subcommand: configuration, output streams, and nothing global. */
export interface CliRuntime {
  readonly config: Config;
  readonly logger: Logger;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Whether stderr is a terminal (progress bars redraw in place only then). */
  readonly interactive: boolean;
  /** Resolves when the user interrupts (first Ctrl-C); commands decide what that means. */
  readonly interrupted: Promise<void>;
}

export interface CliCommand {
  /** One line for `noctis help`. */
  readonly summary: string;
  /** Runs with the arguments after the subcommand name; resolves to the exit code. */
  run(argv: readonly string[], runtime: CliRuntime): Promise<number>;
}

/** A usage mistake: the entry prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Parses a subcommand's arguments strictly (unknown options and bad values are usage mistakes, exit 2).
 * `positionals` says whether words other than options are allowed (an action such as `keys create`).
 */
export function parseCommandArgs<O extends ParseArgsOptionsConfig, P extends boolean>(argv: readonly string[], options: O, positionals: P) {
  try {
    return parseArgs({ args: [...argv], strict: true, allowPositionals: positionals, options });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
