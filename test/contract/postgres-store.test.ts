import { describe } from 'node:test';
import type { Logger } from '../../src/services/ports.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { createPostgresDialect } from '../../src/store/postgres-dialect.js';
import { createTestSchema, postgresSkip } from '../support/services.js';
import { storeContract } from './store-contract.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('KyselyStore on PostgreSQL', { skip: await postgresSkip() }, () => {
  storeContract('KyselyStore on PostgreSQL', async () => {
    const schema = await createTestSchema();
    const dialect = createPostgresDialect({ url: schema.url, poolMax: 4, logger: silent });
    await migrateToLatest(dialect);
    const store = new KyselyStore(dialect);
    let closed = false;
    return {
      store,
      close: async () => {
        // The contract's own close test may have closed the store already.
        if (!closed) await store.close().catch(() => undefined);
        closed = true;
        await schema.drop();
      },
    };
  });
});
