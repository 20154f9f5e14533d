import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SQLite as Database } from '../../src/store/sqlite-driver.js';
import pg from 'pg';
import { join } from 'node:path';
import { createApp, type Parley } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { TEST_REDIS_URL, createTestRedisPrefix, createTestSchema } from './services.js';

export interface TestServer {
  url: string;
  app: Parley;
  dataDir: string;
  /**
   * Runs one SQL statement straight against this server's storage (the SQLite file or the PostgreSQL
   * schema), for tests that change or inspect what is stored behind Parley's back. `?` placeholders.
   */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export const TEST_SECRET = 'parley-test-secret-0123456789-abcdefghijklmnop';

/**
 * Which backends `startServer` uses: `default` (SQLite + memory) or, with PARLEY_TEST_BACKEND=scaled,
 * PostgreSQL + Redis in a fresh schema and key prefix (the test runner sets it for a second pass).
 */
export const testBackend = process.env.PARLEY_TEST_BACKEND === 'scaled' ? 'scaled' : 'default';

/** A real Parley on 127.0.0.1, a free port and fresh storage (SQLite in a temp dir, or a fresh schema). */
export async function startServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const cleanups: Array<() => Promise<void>> = [
    async () => rmSync(dataDir, { recursive: true, force: true }),
  ];
  const backendEnv: Record<string, string> = {};
  let databaseUrl: string | undefined;
  if (testBackend === 'scaled') {
    const schema = await createTestSchema();
    const redis = createTestRedisPrefix();
    cleanups.push(schema.drop, redis.clear);
    databaseUrl = schema.url;
    Object.assign(backendEnv, {
      DATABASE_URL: schema.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redis.prefix,
    });
  }
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_SECRET,
    // Suites about other features send faster than a person: the per-second burst windows are off
    // unless a test sets them (rate-limits.test.ts does); the per-minute limits stay on.
    RATE_LIMIT_SEND_BURST: 'off',
    RATE_LIMIT_TYPING_BURST: 'off',
    RATE_LIMIT_READ_BURST: 'off',
    ...backendEnv,
    ...env,
  });
  let app: Parley;
  let url: string;
  try {
    app = await createApp(config);
    url = await app.listen();
  } catch (err) {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw err;
  }
  return {
    url,
    app,
    dataDir,
    sql: (text, params = []) => runSql(databaseUrl, join(dataDir, 'parley.db'), text, params),
    close: async () => {
      await app.close();
      for (const cleanup of cleanups) await cleanup();
    },
  };
}

async function runSql<T>(databaseUrl: string | undefined, file: string, text: string, params: unknown[]) {
  if (!databaseUrl) {
    const db = new Database(file);
    try {
      const statement = db.prepare(text);
      return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let n = 0;
    const result = await client.query(
      text.replace(/\?/g, () => `$${++n}`),
      params,
    );
    return result.rows as T[];
  } finally {
    await client.end();
  }
}
