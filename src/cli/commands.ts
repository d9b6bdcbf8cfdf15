import type { CliCommand } from './command.js';
import { keysCommand } from './keys.command.js';
import { nightsCommand } from './nights.command.js';
import { rescoreCommand } from './rescore.command.js';

/** Every `npm run cli -- <name>` subcommand; a new one is one more entry here. */
export const COMMANDS: Readonly<Record<string, CliCommand>> = {
  keys: keysCommand,
  nights: nightsCommand,
  rescore: rescoreCommand,
};
