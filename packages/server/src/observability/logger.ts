import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from '../config/options.js';

/** A pino logger writing one JSON line per record to stdout (or `destination`). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, base: { name: 'parley' } };
  return destination ? pino(options, destination) : pino(options);
}
