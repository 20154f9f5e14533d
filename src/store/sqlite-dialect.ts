import { dirname, resolve } from 'node:path';
import { ensurePrivateDir, ensurePrivateFile } from '../security/private-files.js';
import { SQLite, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.js';
import { Kysely } from 'kysely';
import type { StoreDialect } from './dialect.js';
import { FifoSqliteDialect } from './fifo-sqlite-dialect.js';
import type { Database } from './schema.js';

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement. This keeps the
 * most recent prepared statements by SQL text (the text has placeholders, so one per query shape).
 * Reuse is safe: Kysely runs each statement to completion synchronously.
 */
function withStatementCache(database: SqliteDatabase) {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (statement) return statement;
      statement = database.prepare(sql);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
      return statement;
    },
  };
}

/**
 * Opens (creating if needed) the SQLite database at `file`, in WAL mode. A new database is created
 * readable by its owner alone (directory 0700, file 0600; SQLite gives its -wal and -shm files the
 * database file's mode).
 *
 * @example const dialect = createSqliteDialect('./data/parley.db');
 */
export function createSqliteDialect(file: string): StoreDialect {
  if (file !== ':memory:') {
    ensurePrivateDir(dirname(file));
    ensurePrivateFile(file);
  }
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit survives a process crash; only an OS crash can lose the last commits.
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // better-sqlite3 waits synchronously: a lock held by another program (a backup, the sqlite3 shell)
  // stalls the event loop for up to this long before the write fails.
  database.pragma('busy_timeout = 1000');
  const db = new Kysely<Database>({
    dialect: new FifoSqliteDialect(
      { database: withStatementCache(database) },
      file === ':memory:' ? undefined : resolve(file),
    ),
  });
  return {
    name: 'sqlite',
    db,
    // Holding Kysely's connection is holding the process's turn on the file (FifoSqliteDriver).
    inSyncTransaction: (work) => db.connection().execute(async () => database.transaction(work)(database)),
    serialPrimaryKey: 'integer',
    currentSchema: async () => undefined,
    embedsViews: false,
    isUniqueViolation: (err) => sqliteCode(err).startsWith('SQLITE_CONSTRAINT_UNIQUE'),
    isConstraintViolation: (err) => sqliteCode(err).startsWith('SQLITE_CONSTRAINT'),
  };
}

const sqliteCode = (err: unknown): string =>
  typeof err === 'object' && err !== null ? String((err as { code?: unknown }).code ?? '') : '';
