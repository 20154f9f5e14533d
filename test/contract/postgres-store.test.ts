import { describe } from 'node:test';
import type { Logger } from '../../src/services/ports.js';
import { createPostgresDialect } from '../../src/store/postgres-dialect.js';
import { createTestSchema, postgresSkip } from '../support/services.js';
import { openStore } from './open-store.js';
import { storeContract } from './store-contract.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('KyselyStore on PostgreSQL', { skip: await postgresSkip() }, () => {
  storeContract('KyselyStore on PostgreSQL', async () => {
    const schema = await createTestSchema();
    return openStore(createPostgresDialect({ url: schema.url, poolMax: 4, logger: silent }), schema.drop);
  });
});
