import { KyselyStore } from '../../src/store/kysely-store.js';
import type { StoreDialect } from '../../src/store/dialect.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import type { OpenedStore } from './store-contract.js';

/**
 * A migrated `KyselyStore` on `dialect` for the store contract; `close` may be called after the
 * contract's own close test already closed it, and then runs `cleanup` (drop the schema, remove files).
 */
export async function openStore(
  dialect: StoreDialect,
  cleanup: () => Promise<void> | void,
): Promise<OpenedStore> {
  await migrateToLatest(dialect);
  const store = new KyselyStore(dialect);
  let closed = false;
  return {
    store,
    close: async () => {
      if (!closed) await store.close().catch(() => undefined);
      closed = true;
      await cleanup();
    },
  };
}
