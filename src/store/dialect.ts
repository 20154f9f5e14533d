import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { SqliteDatabase } from './sqlite-driver.js';

/**
 * What differs between the SQL engines behind the one Kysely store. Everything dialect-specific lives in
 * an implementation of this interface; the store and migrations ask it rather than branching on names.
 */
export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  /** Column type for an auto-incrementing bigint primary key. */
  readonly serialPrimaryKey: 'integer' | 'bigserial';
  /**
   * The schema that unqualified names resolve to, where the engine has schemas. Migrations keep their
   * bookkeeping tables there, so several Parley databases can share one PostgreSQL database.
   */
  currentSchema(): Promise<string | undefined>;
  /**
   * Makes message inserts commit in id order across every connection and process, so a reader who has
   * seen id N has seen every id below it (what `sync` relies on). Called first inside the insert's
   * transaction. Absent where there is a single writer (SQLite) and ids are in commit order already.
   */
  readonly orderCommits?: (tx: Kysely<Database>) => Promise<void>;
  /**
   * Whether a conversation view is read in one statement, its members and last message aggregated as JSON
   * columns (PostgreSQL: one round trip and one plan instead of three); else in three simpler statements.
   */
  readonly embedsViews: boolean;
  /**
   * Runs `work` in one transaction on the raw synchronous connection, in this process's turn on the
   * database (no other query of the store interleaves), and rolls back if it throws. SQLite only: a batch of
   * prepared statements run without returning to the event loop costs a fraction of the same work through
   * Kysely's asynchronous calls. Absent on PostgreSQL, whose statements are round trips either way.
   */
  readonly inSyncTransaction?: <T>(work: (db: SqliteDatabase) => T) => Promise<T>;
  /** Whether `err` is the driver's unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
  /** Whether `err` is any integrity-constraint violation (unique, foreign key, not null, check). */
  isConstraintViolation(err: unknown): boolean;
}
