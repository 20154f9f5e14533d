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
  /** Whether `err` is the driver's unique-constraint violation. */
  isUniqueViolation(err: unknown): boolean;
}
