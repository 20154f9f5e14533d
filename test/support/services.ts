import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import { unmet } from './required.js';

/**
 * The PostgreSQL and Redis that scale-out tests use, and per-run isolation: a fresh schema per database
 * user of a test, a fresh key prefix per Redis user. Suites that need them skip, naming the reason, when
 * they do not answer — or fail, under CI (see required.ts).
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const uniqueName = (kind: string) => `parley_${kind}_${process.pid}_${randomBytes(4).toString('hex')}`;

async function probePostgres(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return `PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${(err as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function probeRedis(): Promise<string | undefined> {
  const client = createClient({
    url: TEST_REDIS_URL,
    socket: { connectTimeout: 2000, reconnectStrategy: false },
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return undefined;
  } catch (err) {
    return `Redis is not reachable at ${TEST_REDIS_URL} (${(err as Error).message})`;
  } finally {
    if (client.isOpen) await client.close().catch(() => undefined);
  }
}

let postgresProbe: Promise<string | undefined> | undefined;
let redisProbe: Promise<string | undefined> | undefined;

/** Why PostgreSQL tests must skip, or `false` when PostgreSQL answers. Use as `describe(name, { skip })`. */
export async function postgresSkip(): Promise<string | false> {
  return unmet(await (postgresProbe ??= probePostgres()));
}

export async function redisSkip(): Promise<string | false> {
  return unmet(await (redisProbe ??= probeRedis()));
}

/** Why a suite needing both must skip, or `false`. */
export async function scaleOutSkip(): Promise<string | false> {
  const reasons = [await (postgresProbe ??= probePostgres()), await (redisProbe ??= probeRedis())];
  return unmet(reasons.filter(Boolean).join('; '));
}

export interface TestSchema {
  /** A DATABASE_URL whose connections use the fresh schema. */
  url: string;
  schema: string;
  drop(): Promise<void>;
}

/** Creates an empty schema and a URL that selects it (search_path), for one test's database. */
export async function createTestSchema(): Promise<TestSchema> {
  const schema = uniqueName('s');
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create schema ${schema}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists ${schema} cascade`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface TestRedisPrefix {
  prefix: string;
  /** Deletes every key under the prefix. */
  clear(): Promise<void>;
}

export function createTestRedisPrefix(): TestRedisPrefix {
  const prefix = `${uniqueName('r')}:`;
  return {
    prefix,
    clear: async () => {
      const client = createClient({ url: TEST_REDIS_URL });
      client.on('error', () => undefined);
      await client.connect();
      try {
        const keys: string[] = [];
        for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 }))
          keys.push(...batch);
        if (keys.length > 0) await client.del(keys);
      } finally {
        await client.close();
      }
    },
  };
}
