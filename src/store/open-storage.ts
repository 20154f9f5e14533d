import { join } from 'node:path';
import type { Config } from '../config.js';
import { redactUrl } from '../redis/redis-connection.js';
import type { Logger } from '../services/ports.js';
import type { StoreDialect } from './dialect.js';
import { migrateToLatest } from './migrations.js';
import { createPostgresDialect } from './postgres-dialect.js';
import { createSqliteDialect } from './sqlite-dialect.js';

export interface Storage {
  dialect: StoreDialect;
  /** The SQLite file or the redacted DATABASE_URL. */
  where: string;
  /** Migrations this call applied, in order (none when the schema was up to date). */
  applied: string[];
}

/**
 * Opens the configured storage — SQLite in DATA_DIR by default, PostgreSQL with DATABASE_URL — and brings
 * its schema to the latest version. The server and the `parley` command both open storage this way. Fails
 * with `Cannot open <engine> storage at <where>: <reason>`, the connection closed.
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
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`Cannot open ${engine} storage at ${where}: ${reason}`, { cause: err });
  }
}
