import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InsertQueryNode, TableNode, type KyselyPlugin } from 'kysely';
import { AppError } from '../../src/domain/errors.js';
import type { Logger } from '../../src/services/ports.js';
import type { StoreDialect } from '../../src/store/dialect.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { createPostgresDialect } from '../../src/store/postgres-dialect.js';
import { createSqliteDialect } from '../../src/store/sqlite-dialect.js';
import { createTestSchema, postgresSkip } from '../support/services.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * Counts the batches of messages the store writes: INSERT statements into `messages` through Kysely
 * (PostgreSQL), synchronous batch transactions (SQLite).
 */
function countingMessageInserts(dialect: StoreDialect): {
  plugin: KyselyPlugin;
  dialect: StoreDialect;
  count: () => number;
} {
  let inserts = 0;
  const { inSyncTransaction } = dialect;
  return {
    count: () => inserts,
    dialect: {
      ...dialect,
      ...(inSyncTransaction && {
        inSyncTransaction: (work) => {
          inserts += 1;
          return inSyncTransaction(work);
        },
      }),
    },
    plugin: {
      transformQuery: ({ node }) => {
        if (
          InsertQueryNode.is(node) &&
          node.into !== undefined &&
          TableNode.is(node.into) &&
          node.into.table.identifier.name === 'messages'
        )
          inserts += 1;
        return node;
      },
      transformResult: async ({ result }) => result,
    },
  };
}

/**
 * Two sends with the same client message id in one event-loop turn: the second copy never reaches the
 * insert batch (it would fail the unique index and send the whole batch back row by row).
 */
function inflightDuplicates(
  name: string,
  open: () => Promise<{ dialect: StoreDialect; cleanup: () => Promise<void> }>,
) {
  describe(`${name}: duplicate client message ids in flight`, () => {
    let store: KyselyStore;
    let counter: ReturnType<typeof countingMessageInserts>;
    let cleanup: () => Promise<void>;
    let ada: string;
    let ben: string;

    before(async () => {
      const opened = await open();
      cleanup = opened.cleanup;
      await migrateToLatest(opened.dialect);
      counter = countingMessageInserts(opened.dialect);
      store = new KyselyStore({ ...counter.dialect, db: opened.dialect.db.withPlugin(counter.plugin) });
      const user = (n: string) =>
        store.createUser({
          name: n,
          username: `${n}_${Date.now()}`,
          email: `${n}_${Date.now()}@example.test`,
          role: 'customer',
          passwordHash: 'x',
          createdAt: new Date(),
        });
      ada = (await user('ada')).id;
      ben = (await user('ben')).id;
    });
    after(async () => {
      await store.close();
      await cleanup();
    });

    it('stores one copy in one batch; the copy fails as a duplicate; other messages of the batch are stored', async () => {
      const sentAt = new Date();
      const before = counter.count();
      const [first, second, other] = await Promise.allSettled([
        store.insertMessage({
          senderId: ada,
          receiverId: ben,
          content: 'one',
          sentAt,
          clientMessageId: 'c-1',
        }),
        store.insertMessage({
          senderId: ada,
          receiverId: ben,
          content: 'one',
          sentAt,
          clientMessageId: 'c-1',
        }),
        store.insertMessage({ senderId: ben, receiverId: ada, content: 'other', sentAt }),
      ]);
      assert.equal(first.status, 'fulfilled');
      assert.equal(other.status, 'fulfilled');
      assert.equal(second.status, 'rejected');
      assert.ok(second.reason instanceof AppError && second.reason.code === 'DUPLICATE_MESSAGE');
      // One write for the whole batch: no failed batch retried row by row.
      assert.equal(counter.count() - before, 1);
      const stored = await store.findByClientMessageId(ada, 'c-1');
      assert.equal(stored?.id, first.status === 'fulfilled' ? first.value.id : undefined);
      const page = await store.conversation(ada, ben, { offset: 0, limit: 10 });
      assert.equal(page.length, 2);
    });

    it('a copy sent after the first is stored still meets the unique index', async () => {
      const sentAt = new Date();
      await store.insertMessage({
        senderId: ada,
        receiverId: ben,
        content: 'two',
        sentAt,
        clientMessageId: 'c-2',
      });
      await assert.rejects(
        store.insertMessage({
          senderId: ada,
          receiverId: ben,
          content: 'two',
          sentAt,
          clientMessageId: 'c-2',
        }),
        (err: unknown) => err instanceof AppError && err.code === 'DUPLICATE_MESSAGE',
      );
    });
  });
}

inflightDuplicates('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-inflight-'));
  return {
    dialect: createSqliteDialect(join(dir, 'parley.db')),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('PostgreSQL', { skip: await postgresSkip() }, () => {
  inflightDuplicates('PostgreSQL', async () => {
    const schema = await createTestSchema();
    return {
      dialect: createPostgresDialect({ url: schema.url, poolMax: 4, logger: silent }),
      cleanup: schema.drop,
    };
  });
});
