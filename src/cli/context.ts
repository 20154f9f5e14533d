import { join } from 'node:path';
import { pino } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { redactUrl } from '../redis/redis-connection.js';
import type { Logger } from '../services/ports.js';
import type { StoreDialect } from '../store/dialect.js';
import { migrateToLatest } from '../store/migrations.js';
import { createPostgresDialect } from '../store/postgres-dialect.js';
import { createSqliteDialect } from '../store/sqlite-dialect.js';
import { line, messageOf, type CliIo } from './io.js';

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

export interface Storage {
  dialect: StoreDialect;
  /** The SQLite file or the redacted DATABASE_URL. */
  where: string;
  /** Migrations this call applied, in order (none when the schema was up to date). */
  applied: string[];
}

/**
 * Opens the storage the server would (SQLite in DATA_DIR, or PostgreSQL with DATABASE_URL) and brings
 * its schema to the latest version, as the server does at start. Fails with the server's message:
 * `Cannot open <engine> storage at <where>: <reason>`.
 */
export async function openStorage(config: Readonly<Config>, logger: Logger): Promise<Storage> {
  const engine = config.databaseUrl ? 'postgres' : 'sqlite';
  const where = config.databaseUrl ? redactUrl(config.databaseUrl) : join(config.dataDir, 'parley.db');
  let dialect: StoreDialect | undefined;
  try {
    dialect = config.databaseUrl
      ? createPostgresDialect({ url: config.databaseUrl, poolMax: config.databasePoolMax, logger })
      : createSqliteDialect(where);
    return { dialect, where, applied: await migrateToLatest(dialect) };
  } catch (err) {
    await dialect?.db.destroy().catch(() => undefined);
    throw new Error(`Cannot open ${engine} storage at ${where}: ${messageOf(err)}`, { cause: err });
  }
}
