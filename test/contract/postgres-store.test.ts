import { describe } from 'node:test';
import type { Logger } from '../../src/services/ports.js';
import { createPostgresDialect } from '../../src/store/postgres-dialect.js';
import { createTestSchema, postgresSkip } from '../support/services.js';
import { conversationContract } from './conversation-contract.js';
import { groupContract } from './group-contract.js';
import type { TwoStores } from './store-sync-contract.js';
import { externalUsersContract } from './external-users-contract.js';
import { openStore } from './open-store.js';
import { storeAccountsContract } from './store-accounts-contract.js';
import { storeContract } from './store-contract.js';
import { storeSyncContract } from './store-sync-contract.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('KyselyStore on PostgreSQL', { skip: await postgresSkip() }, () => {
  storeContract('KyselyStore on PostgreSQL', async () => {
    const schema = await createTestSchema();
    return openStore(createPostgresDialect({ url: schema.url, poolMax: 4, logger: silent }), schema.drop);
  });
  externalUsersContract('KyselyStore on PostgreSQL', async () => {
    const schema = await createTestSchema();
    return openStore(createPostgresDialect({ url: schema.url, poolMax: 4, logger: silent }), schema.drop);
  });
  storeAccountsContract('KyselyStore on PostgreSQL', async () => {
    const schema = await createTestSchema();
    return openStore(createPostgresDialect({ url: schema.url, poolMax: 4, logger: silent }), schema.drop);
  });
  const twoStores = async (): Promise<TwoStores> => {
    const schema = await createTestSchema();
    const dialect = () => createPostgresDialect({ url: schema.url, poolMax: 4, logger: silent });
    const first = dialect();
    await migrateToLatest(first);
    const stores = [new KyselyStore(first), new KyselyStore(dialect())] as const;
    return {
      stores: [...stores],
      close: async () => {
        for (const store of stores) await store.close();
        await schema.drop();
      },
    };
  };
  storeSyncContract('KyselyStore on PostgreSQL', twoStores);
  conversationContract('KyselyStore on PostgreSQL', twoStores);
  groupContract('KyselyStore on PostgreSQL', twoStores);
});
