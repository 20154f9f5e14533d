import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SQLite } from '../../src/store/sqlite-driver.js';
import { JoseTokenIssuer } from '../../src/security/jose-token-issuer.js';
import { Argon2PasswordHasher } from '../../src/security/argon2-password-hasher.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { createSqliteDialect } from '../../src/store/sqlite-dialect.js';
import { BENCH_SECRET } from './server-process.js';

export interface BenchUser {
  id: string;
  token: string;
}

/** Registers `count` users through the REST API (real tokens), `concurrency` requests at a time. */
export async function registerUsers(url: string, count: number, concurrency = 16): Promise<BenchUser[]> {
  const users: BenchUser[] = new Array(count);
  const run = randomUUID().slice(0, 8);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`${url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Bench User ${i}`,
          username: `b${run}_${i}`,
          email: `b${run}_${i}@bench.test`,
          password: 'bench password 123',
        }),
      });
      if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { token: string; user: { _id: string } };
      users[i] = { id: body.user._id, token: body.token };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return users;
}

/**
 * Writes `count` users straight into a (new or existing) SQLite database in `dataDir`, all with one
 * argon2id hash of a known password, and mints their tokens with the bench server's secret — the way a
 * token from another system that shares the secret looks to Parley. Registering tens of thousands of users
 * through REST would spend minutes hashing passwords, which is not what these scenarios measure.
 */
export async function seedUsers(dataDir: string, count: number): Promise<BenchUser[]> {
  const dialect = createSqliteDialect(join(dataDir, 'parley.db'));
  await migrateToLatest(dialect);
  await dialect.db.destroy();
  const hash = await new Argon2PasswordHasher().hash('bench password 123');
  const db = new SQLite(join(dataDir, 'parley.db'));
  const insert = db.prepare(
    `insert into users (name, username, email, role, password_hash, last_seen, created_at)
     values (?, ?, ?, 'customer', ?, null, ?)`,
  );
  const ids: string[] = [];
  const now = Date.now();
  const run = randomUUID().slice(0, 8);
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const tag = `seeded_${run}_${i}`;
      const { lastInsertRowid } = insert.run(`Seeded User ${i}`, tag, `${tag}@bench.test`, hash, now);
      ids.push(String(lastInsertRowid));
    }
  })();
  db.close();
  const tokens = new JoseTokenIssuer({ secret: BENCH_SECRET, ttlSeconds: 86_400 });
  return Promise.all(ids.map(async (id) => ({ id, token: await tokens.issue(id) })));
}
