import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.js';
import type { Logger } from '../services/ports.js';
import { line, type CliIo } from './io.js';

/** The settings from the environment, as the server reads them; on invalid ones, prints its one line. */
export function configOf(io: CliIo): Readonly<Config> | undefined {
  try {
    return loadConfig(io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    line(io.stderr, err.message);
    return undefined;
  }
}

/**
 * Library log lines (a PostgreSQL connection lost, …) as JSON on stderr, so stdout holds only the
 * command's result. Warnings and errors only, unless LOG_LEVEL asks for more.
 */
export function cliLogger(config: Readonly<Config>, env: CliIo['env']): Logger {
  return pino({ level: env.LOG_LEVEL ? config.logLevel : 'warn' }, pino.destination({ fd: 2, sync: true }));
}

export { openStorage, type Storage } from '../store/open-storage.js';
