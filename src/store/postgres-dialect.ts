import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../services/ports.js';
import type { StoreDialect } from './dialect.js';
import type { Database } from './schema.js';

const INT8_OID = 20;

/**
 * PostgreSQL through a `pg` pool. bigint columns (ids, epoch-ms times, counts) are parsed to numbers:
 * they stay far below 2^53. Connection failures reject the query that needed them (within
 * `connectTimeoutMs`) and the pool reconnects on its own when the server is back.
 *
 * @example const dialect = createPostgresDialect({ url: 'postgres://localhost/parley', poolMax: 10, logger });
 */
export function createPostgresDialect(options: {
  url: string;
  poolMax: number;
  logger: Logger;
  connectTimeoutMs?: number;
}): StoreDialect {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID
          ? (v: string) => Number(v)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', (err) =>
    options.logger.warn({ err }, 'PostgreSQL connection lost; the pool will reconnect'),
  );
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    name: 'postgres',
    db,
    serialPrimaryKey: 'bigserial',
    currentSchema: async () =>
      (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema,
    isUniqueViolation: (err) =>
      typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505',
  };
}
