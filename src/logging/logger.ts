import { pino, type Logger } from 'pino';
import { traceMixin } from './trace-mixin.js';

export type { Logger };

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: 'noctis', ...base }, timestamp: pino.stdTimeFunctions.isoTime, mixin: traceMixin });
}
