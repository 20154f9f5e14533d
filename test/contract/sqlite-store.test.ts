import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteDialect } from '../../src/store/sqlite-dialect.js';
import { conversationContract } from './conversation-contract.js';
import type { TwoStores } from './store-sync-contract.js';
import { groupContract } from './group-contract.js';
import { externalUsersContract } from './external-users-contract.js';
import { openStore } from './open-store.js';
import { storeAccountsContract } from './store-accounts-contract.js';
import { storeContract } from './store-contract.js';
import { storeSyncContract } from './store-sync-contract.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';

storeContract('KyselyStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  return openStore(createSqliteDialect(join(dir, 'parley.db')), () =>
    rmSync(dir, { recursive: true, force: true }),
  );
});

externalUsersContract('KyselyStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  return openStore(createSqliteDialect(join(dir, 'parley.db')), () =>
    rmSync(dir, { recursive: true, force: true }),
  );
});

async function twoSqliteStores(): Promise<TwoStores> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  const file = join(dir, 'parley.db');
  const first = createSqliteDialect(file);
  await migrateToLatest(first);
  const stores = [new KyselyStore(first), new KyselyStore(createSqliteDialect(file))] as const;
  return {
    stores: [...stores],
    close: async () => {
      for (const store of stores) await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

storeSyncContract('KyselyStore on SQLite', twoSqliteStores);
conversationContract('KyselyStore on SQLite', twoSqliteStores);
groupContract('KyselyStore on SQLite', twoSqliteStores);

storeAccountsContract('KyselyStore on SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-store-'));
  return openStore(createSqliteDialect(join(dir, 'parley.db')), () =>
    rmSync(dir, { recursive: true, force: true }),
  );
});
