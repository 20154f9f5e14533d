import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Logger } from '../../src/services/ports.js';
import type { StoreDialect } from '../../src/store/dialect.js';
import { KyselyStore } from '../../src/store/kysely-store.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { createPostgresDialect } from '../../src/store/postgres-dialect.js';
import { createSqliteDialect } from '../../src/store/sqlite-dialect.js';
import { createTestSchema, postgresSkip } from '../support/services.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
/** The schema before conversations: the last migration that shipped without them. */
const BEFORE = '0006_user_disabled_at';

type OldMessage = {
  id: number;
  sender_id: number;
  receiver_id: number;
  content: string;
  sent_at: number;
  read_at: number | null;
  client_message_id: string | null;
};

/**
 * Fills a database at the pre-conversation schema the way that schema's store wrote it: users,
 * messages with their pair columns, read flags and client ids, and contact rows. The newest message is
 * then deleted, so the next id must stay above it. Returns the rows as they are before migrating.
 */
async function fillOldSchema(db: Kysely<any>): Promise<{ users: number[]; messages: OldMessage[] }> {
  const users: number[] = [];
  for (let i = 1; i <= 6; i++) {
    const row = await db
      .insertInto('users')
      .values({
        name: `User ${i}`,
        username: `user${i}`,
        email: `user${i}@example.test`,
        role: 'customer',
        password_hash: 'x',
        last_seen: null,
        created_at: 1_700_000_000_000 + i,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    users.push(Number(row.id));
  }
  const [u1, u2, u3, u4, u5] = users as [number, number, number, number, number];
  // [from, to, read?, client id?] in sending order; user 6 has no messages at all.
  const plan: Array<[number, number, boolean, string | null]> = [
    [u1, u2, true, 'c-1'],
    [u2, u1, true, null],
    [u1, u3, false, null],
    [u1, u2, false, 'c-2'],
    [u3, u1, true, null],
    [u2, u3, false, 'c-1'],
    [u2, u1, false, null],
    [u4, u5, false, null],
    [u3, u2, true, null],
    [u1, u2, false, null],
    [u3, u3, false, null], // a note to oneself, written outside Parley (which refuses it)
    [u5, u4, false, null], // deleted below: the highest id
  ];
  for (const [k, [from, to, read, clientId]] of plan.entries()) {
    const sentAt = 1_710_000_000_000 + k * 60_000;
    await db
      .insertInto('messages')
      .values({
        user_low: Math.min(from, to),
        user_high: Math.max(from, to),
        sender_id: from,
        receiver_id: to,
        content: `message ${k} 👋`,
        sent_at: sentAt,
        read_at: read ? sentAt + 1000 : null,
        client_message_id: clientId,
      })
      .execute();
  }
  await sql`insert into contacts (user_id, contact_id)
    select sender_id, receiver_id from messages union select receiver_id, sender_id from messages`.execute(
    db,
  );
  const newest = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.max('id').as('id'))
    .executeTakeFirstOrThrow();
  await db.deleteFrom('messages').where('id', '=', Number(newest.id)).execute();
  const messages = (await db
    .selectFrom('messages')
    .select(['id', 'sender_id', 'receiver_id', 'content', 'sent_at', 'read_at', 'client_message_id'])
    .orderBy('id')
    .execute()) as OldMessage[];
  return {
    users,
    messages: messages.map((m) => ({
      ...m,
      id: Number(m.id),
      sender_id: Number(m.sender_id),
      receiver_id: Number(m.receiver_id),
      sent_at: Number(m.sent_at),
      read_at: m.read_at === null ? null : Number(m.read_at),
    })),
  };
}

/** Everything the migration must keep and derive, checked on the migrated database. */
async function checkMigrated(
  dialect: StoreDialect,
  before: { users: number[]; messages: OldMessage[]; deletedId: number },
): Promise<void> {
  const db = dialect.db as unknown as Kysely<any>;
  const pair = (a: number, b: number) => `${Math.min(a, b)}:${Math.max(a, b)}`;
  const conversations = await db.selectFrom('conversations').selectAll().execute();
  const pairs = new Set(before.messages.map((m) => pair(m.sender_id, m.receiver_id)));
  assert.equal(conversations.length, pairs.size, 'one conversation per pair that shares messages');
  const byPair = new Map(conversations.map((c) => [pair(Number(c.direct_low), Number(c.direct_high)), c]));
  for (const c of conversations) {
    assert.equal(c.type, 'direct');
    assert.equal(c.title, null);
    assert.equal(Number(c.member_count), c.direct_low === c.direct_high ? 1 : 2);
  }

  // Every message kept as it was, in its pair's conversation.
  const after = await db.selectFrom('messages').selectAll().orderBy('id').execute();
  assert.deepEqual(
    after.map((m) => ({
      id: Number(m.id),
      sender_id: Number(m.sender_id),
      receiver_id: Number(m.receiver_id),
      content: m.content,
      sent_at: Number(m.sent_at),
      read_at: m.read_at === null ? null : Number(m.read_at),
      client_message_id: m.client_message_id,
    })),
    before.messages,
  );
  for (const m of after) {
    const expected = byPair.get(pair(Number(m.sender_id), Number(m.receiver_id)));
    assert.equal(Number(m.conversation_id), Number(expected?.id), `conversation of message ${m.id}`);
  }

  // Members: the pair, each with the count of messages to them still unread and the newest message.
  const store = new KyselyStore(dialect);
  for (const [key, c] of byPair) {
    const inPair = before.messages.filter((m) => pair(m.sender_id, m.receiver_id) === key);
    for (const member of new Set(key.split(':').map(Number))) {
      const view = await store.conversationFor(String(c.id), String(member));
      assert.ok(view, `user ${member} is a member of ${key}`);
      const unread = inPair.filter(
        (m) => m.receiver_id === member && m.sender_id !== member && m.read_at === null,
      ).length;
      assert.equal(view.viewer.unreadCount, unread, `unread of ${member} in ${key}`);
      assert.equal(view.viewer.lastReadMessageId, null);
      assert.equal(view.lastMessage?.id, String(inPair.at(-1)?.id));
      assert.equal(view.lastActivityAt.getTime(), inPair.at(-1)?.sent_at);
    }
  }
  for (const user of before.users) {
    const unread = before.messages.filter(
      (m) => m.receiver_id === user && m.sender_id !== user && m.read_at === null,
    ).length;
    assert.equal(await store.countUnread(String(user)), unread, `unread total of ${user}`);
    const contacts = new Set(
      before.messages
        .flatMap((m) =>
          m.sender_id === user ? [m.receiver_id] : m.receiver_id === user ? [m.sender_id] : [],
        )
        .filter((id) => id !== user),
    );
    assert.deepEqual((await store.contactsOf(String(user))).map(Number).sort(), [...contacts].sort());
  }
  // A client id still finds its message; a retry still meets the unique index.
  const withClientId = before.messages.find((m) => m.client_message_id === 'c-2') as OldMessage;
  assert.equal(
    (await store.findByClientMessageId(String(withClientId.sender_id), 'c-2'))?.id,
    String(withClientId.id),
  );
  // New messages get ids above every id ever handed out, the deleted newest one included.
  const [u1, u2] = before.users as [number, number];
  const next = await store.insertMessage({
    senderId: String(u1),
    receiverId: String(u2),
    content: 'after the migration',
    sentAt: new Date(),
  });
  assert.ok(Number(next.id) > before.deletedId, `new id ${next.id} above ${before.deletedId}`);
  assert.equal(next.conversationId, String(byPair.get(pair(u1, u2))?.id));
  await store.close();
}

async function migrateAndCheck(build: StoreDialect, migrateOn: () => Promise<StoreDialect>) {
  await migrateToLatest(build, BEFORE);
  const filled = await fillOldSchema(build.db as unknown as Kysely<any>);
  const max = Math.max(...filled.messages.map((m) => m.id));
  const deletedId = max + 1;
  await build.db.destroy();
  const dialect = await migrateOn();
  const applied = await migrateToLatest(dialect);
  assert.ok(applied.includes('0007_conversations'), `applied ${applied.join(', ')}`);
  await checkMigrated(dialect, { ...filled, deletedId });
}

const pgSkip = await postgresSkip();

describe('migration 0007: pairs become direct conversations', () => {
  it('leaves a SQLite database as it was when it fails part-way, and runs again on the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-migrate-'));
    try {
      const file = join(dir, 'parley.db');
      const build = createSqliteDialect(file);
      await migrateToLatest(build, BEFORE);
      const filled = await fillOldSchema(build.db as unknown as Kysely<any>);
      // The migration's last step (its index) will clash: everything before it must be undone.
      await sql`create index messages_conversation_id on users (name)`.execute(build.db);
      await build.db.destroy();

      const failing = createSqliteDialect(file);
      await assert.rejects(migrateToLatest(failing));
      const db = failing.db as unknown as Kysely<any>;
      const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
        db,
      );
      const names = tables.rows.map((r) => r.name);
      assert.ok(!names.includes('conversations') && names.includes('contacts'), names.join(', '));
      const kept = await db.selectFrom('messages').select(['id', 'user_low']).orderBy('id').execute();
      assert.deepEqual(
        kept.map((m) => Number(m.id)),
        filled.messages.map((m) => m.id),
      );
      // The operator removes the clash; the next start migrates.
      await sql`drop index messages_conversation_id`.execute(db);
      await failing.db.destroy();
      const retry = createSqliteDialect(file);
      assert.ok((await migrateToLatest(retry)).includes('0007_conversations'));
      await retry.db.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on a copy of a SQLite database built by the previous schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-migrate-'));
    try {
      const original = join(dir, 'original.db');
      const copy = join(dir, 'copy.db');
      await migrateAndCheck(createSqliteDialect(original), async () => {
        copyFileSync(original, copy);
        return createSqliteDialect(copy);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on a PostgreSQL schema built by the previous schema', { skip: pgSkip }, async () => {
    const schema = await createTestSchema();
    try {
      await migrateAndCheck(
        createPostgresDialect({ url: schema.url, poolMax: 2, logger: silent }),
        async () => createPostgresDialect({ url: schema.url, poolMax: 2, logger: silent }),
      );
    } finally {
      await schema.drop();
    }
  });
});
