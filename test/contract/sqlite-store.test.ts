import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteDialect } from '../../src/store/sqlite-dialect.js';
import { openStore } from './open-store.js';
import { storeContract } from './store-contract.js';

storeContract('KyselyStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  return openStore(createSqliteDialect(join(dir, 'parley.db')), () =>
    rmSync(dir, { recursive: true, force: true }),
  );
});
