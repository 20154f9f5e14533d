import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely';
import type { StoreDialect } from './dialect.js';

/**
 * 0007: conversations become the core entity. It runs in one transaction on both engines (see
 * `FifoSqliteDialect.createAdapter`): a failure leaves the pair schema as it was. Every pair that shares messages becomes a direct
 * conversation with its two members; every message keeps its id, content, times and read flag and gains
 * its conversation; each member's unread count is the number of messages to them still unread. The
 * per-pair columns and the contacts table (now: who shares a conversation) go away.
 */
export function conversationsMigration(dialect: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      const serial = dialect.serialPrimaryKey;
      const pk = (c: ColumnDefinitionBuilder) =>
        dialect.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey();
      await db.schema
        .createTable('conversations')
        .addColumn('id', serial, pk)
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('direct_low', 'bigint', (c) => c.references('users.id'))
        .addColumn('direct_high', 'bigint', (c) => c.references('users.id'))
        .addColumn('created_by', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // NULLs are distinct in a unique index: groups (no pair) never clash; a pair has one direct conversation.
      await db.schema
        .createIndex('conversations_direct_pair')
        .unique()
        .on('conversations')
        .columns(['direct_low', 'direct_high'])
        .execute();

      await db.schema
        .createTable('conversation_members')
        .addColumn('conversation_id', 'bigint', (c) => c.notNull().references('conversations.id'))
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
        .addColumn('role', 'text', (c) => c.notNull().defaultTo('member'))
        .addColumn('joined_at', 'bigint', (c) => c.notNull())
        .addColumn('last_read_message_id', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_read_at', 'bigint')
        .addColumn('unread_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_message_id', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('last_activity_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('conversation_members_pk', ['conversation_id', 'user_id'])
        .execute();
      // A user's inbox, newest activity first: one index range, read in order.
      await db.schema
        .createIndex('conversation_members_inbox')
        .on('conversation_members')
        .columns(['user_id', 'last_activity_at', 'conversation_id'])
        .execute();
      // The unread total sums only the conversations with something unread.
      await db.schema
        .createIndex('conversation_members_unread')
        .on('conversation_members')
        .columns(['user_id', 'unread_count'])
        .where(sql.ref('unread_count'), '>', 0)
        .execute();

      // Every pair that shares messages, in the order of its first message.
      await sql`insert into conversations (type, title, direct_low, direct_high, created_by, created_at, member_count)
        select 'direct', null, user_low, user_high, null, min(sent_at), 2
        from messages group by user_low, user_high order by min(id)`.execute(db);
      // Unread: messages to the member from the other one, without a read flag. A note to oneself (only
      // ever written outside Parley, which refuses it) makes a conversation of one member.
      for (const side of ['direct_low', 'direct_high'] as const) {
        const me = sql.ref(`c.${side}`);
        await sql`insert into conversation_members
            (conversation_id, user_id, role, joined_at, last_read_message_id, last_read_at, unread_count,
             last_message_id, last_activity_at)
          select c.id, ${me}, 'member', c.created_at, 0, null,
            (select count(*) from messages m where m.user_low = c.direct_low and m.user_high = c.direct_high
               and m.receiver_id = ${me} and m.sender_id <> ${me} and m.read_at is null),
            (select max(m.id) from messages m where m.user_low = c.direct_low and m.user_high = c.direct_high),
            (select max(m.sent_at) from messages m where m.user_low = c.direct_low and m.user_high = c.direct_high)
          from conversations c
          where ${side === 'direct_low' ? sql`1 = 1` : sql`c.direct_high <> c.direct_low`}`.execute(db);
      }
      await sql`update conversations set member_count = 1 where direct_low = direct_high`.execute(db);
      await (dialect.name === 'sqlite' ? rebuildSqliteMessages(db) : alterPostgresMessages(db));
      await db.schema
        .createIndex('messages_conversation_id')
        .on('messages')
        .columns(['conversation_id', 'id'])
        .execute();
      await db.schema.dropTable('contacts').execute();
    },
  };
}

/** SQLite cannot change a column's constraints in place: the table is rebuilt, ids and sequence kept. */
async function rebuildSqliteMessages(db: Kysely<unknown>): Promise<void> {
  await sql`create table messages_new (
      id integer primary key autoincrement,
      conversation_id bigint not null references conversations (id),
      sender_id bigint not null references users (id),
      receiver_id bigint references users (id),
      content text not null,
      sent_at bigint not null,
      read_at bigint,
      client_message_id text)`.execute(db);
  await sql`insert into messages_new
      (id, conversation_id, sender_id, receiver_id, content, sent_at, read_at, client_message_id)
    select m.id, c.id, m.sender_id, m.receiver_id, m.content, m.sent_at, m.read_at, m.client_message_id
    from messages m join conversations c on c.direct_low = m.user_low and c.direct_high = m.user_high
    order by m.id`.execute(db);
  const sequence = await sql<{
    seq: number;
  }>`select seq from sqlite_sequence where name = 'messages'`.execute(db);
  await sql`drop table messages`.execute(db);
  await sql`alter table messages_new rename to messages`.execute(db);
  // Ids of deleted messages are never handed out again (sync cursors may point past the last row).
  const seq = sequence.rows[0]?.seq;
  if (seq !== undefined) {
    await sql`update sqlite_sequence set seq = max(seq, ${seq}) where name = 'messages'`.execute(db);
    await sql`insert into sqlite_sequence (name, seq) select 'messages', ${seq}
      where not exists (select 1 from sqlite_sequence where name = 'messages')`.execute(db);
  }
  await sql`create unique index messages_sender_client_id on messages (sender_id, client_message_id)
    where client_message_id is not null`.execute(db);
}

async function alterPostgresMessages(db: Kysely<unknown>): Promise<void> {
  await sql`alter table messages add column conversation_id bigint`.execute(db);
  await sql`update messages m set conversation_id = c.id from conversations c
    where c.direct_low = m.user_low and c.direct_high = m.user_high`.execute(db);
  await sql`alter table messages alter column conversation_id set not null,
    add constraint messages_conversation_id_fkey foreign key (conversation_id) references conversations (id),
    alter column receiver_id drop not null`.execute(db);
  await sql`drop index messages_pair_id`.execute(db);
  await sql`drop index messages_unread`.execute(db);
  await sql`alter table messages drop column user_low, drop column user_high`.execute(db);
}
