import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../services/ports.js';
import type { StoreDialect } from './dialect.js';
import type { Database } from './schema.js';

const INT8_OID = 20;

/** The first key of Parley's message-commit advisory lock ("parl" in ASCII); the second is the schema's. */
const MESSAGE_COMMIT_LOCK = 0x7061726c;

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
  // A client checked out for a query that loses its connection emits 'error' on itself, where pg-pool no
  // longer listens: the query rejects (and is answered as a failure), but the event must not crash us.
  pool.on('connect', (client) =>
    client.on('error', (err) => options.logger.warn({ err }, 'PostgreSQL connection lost during a query')),
  );
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    name: 'postgres',
    db,
    serialPrimaryKey: 'bigserial',
    currentSchema: async () =>
      (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema,
    // One transaction-scoped advisory lock per schema serializes the (batched) message inserts of every
    // process: held until commit, so ids drawn from the sequence become visible in increasing order. A
    // send waits at most 5 s for it (then fails and is not acknowledged), and a holder whose process
    // vanished mid-transaction loses it after 10 s idle.
    orderCommits: async (tx) =>
      void (await sql`select set_config('lock_timeout', '5s', true),
        set_config('idle_in_transaction_session_timeout', '10s', true),
        pg_advisory_xact_lock(${MESSAGE_COMMIT_LOCK}, hashtext(current_schema()))`.execute(tx)),
    embedsViews: true,
    isUniqueViolation: (err) => sqlState(err) === '23505',
    isConstraintViolation: (err) => sqlState(err).startsWith('23'),
  };
}

/** The SQLSTATE of a driver error, or ''. */
const sqlState = (err: unknown): string =>
  typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : '';
