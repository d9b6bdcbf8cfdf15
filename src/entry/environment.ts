import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'dotenv';
import { loadConfig, type Config } from '../config/config.js';

/** The process environment over `.env` (when present): variables set outside win. */
export function readConfigFromEnvironment(): Config {
  const file = process.env['NOCTIS_ENV_FILE'] ?? '.env';
  const fromFile = existsSync(file) ? parse(readFileSync(file)) : {};
  return loadConfig({ ...fromFile, ...process.env });
}
