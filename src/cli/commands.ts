import type { CliCommand } from './command.js';
import { rescoreCommand } from './rescore.command.js';

/** Every `npm run cli -- <name>` subcommand; a new one is one more entry here. */
export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  rescore: rescoreCommand,
};
