import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

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
  /** Whether `err` is the driver's unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
}
