import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { createSqliteDialect } from '../../src/store/sqlite-dialect.js';
import { storeContract } from './store-contract.js';

storeContract('KyselyStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  const dialect = createSqliteDialect(join(dir, 'parley.db'));
  await migrateToLatest(dialect);
  const store = new KyselyStore(dialect);
  let closed = false;
  return {
    store,
    close: async () => {
      // The contract's own close test may have closed the store already.
      if (!closed) await store.close().catch(() => undefined);
      closed = true;
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
