import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { StoreDialect } from './dialect.js';
import { conversationsMigration } from './migrate-conversations.js';

/** Schema migrations, in order. Names sort lexically; never edit one that has shipped. */
function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001_users_and_messages': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('id', dialect.serialPrimaryKey, (c) =>
            dialect.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
          )
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('username', 'text', (c) => c.notNull())
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull().defaultTo('customer'))
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('last_seen', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('users_username_lower')
          .unique()
          .on('users')
          .expression(sql`lower(username)`)
          .execute();
        await db.schema.createIndex('users_email').unique().on('users').column('email').execute();

        await db.schema
          .createTable('messages')
          .addColumn('id', dialect.serialPrimaryKey, (c) =>
            dialect.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey(),
          )
          .addColumn('user_low', 'bigint', (c) => c.notNull())
          .addColumn('user_high', 'bigint', (c) => c.notNull())
          .addColumn('sender_id', 'bigint', (c) => c.notNull().references('users.id'))
          .addColumn('receiver_id', 'bigint', (c) => c.notNull().references('users.id'))
          .addColumn('content', 'text', (c) => c.notNull())
          .addColumn('sent_at', 'bigint', (c) => c.notNull())
          .addColumn('read_at', 'bigint')
          .execute();
        await db.schema
          .createIndex('messages_pair_id')
          .on('messages')
          .columns(['user_low', 'user_high', 'id'])
          .execute();
        await db.schema
          .createIndex('messages_unread')
          .on('messages')
          .column('receiver_id')
          .where(sql.ref('read_at'), 'is', null)
          .execute();
      },
    },
    '0002_contacts': {
      async up(db: Kysely<unknown>) {
        // Who shares a conversation with whom, both directions: for presence scoped to contacts.
        await db.schema
          .createTable('contacts')
          .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id'))
          .addColumn('contact_id', 'bigint', (c) => c.notNull().references('users.id'))
          .addPrimaryKeyConstraint('contacts_pk', ['user_id', 'contact_id'])
          .execute();
        await sql`insert into contacts (user_id, contact_id)
          select sender_id, receiver_id from messages union select receiver_id, sender_id from messages`.execute(
          db,
        );
      },
    },
    '0003_client_message_id': {
      async up(db: Kysely<unknown>) {
        // A client's own id for a send, so a retry finds the stored message instead of storing it twice.
        await db.schema.alterTable('messages').addColumn('client_message_id', 'text').execute();
        await db.schema
          .createIndex('messages_sender_client_id')
          .unique()
          .on('messages')
          .columns(['sender_id', 'client_message_id'])
          .where(sql.ref('client_message_id'), 'is not', null)
          .execute();
      },
    },
    '0004_external_users': {
      async up(db: Kysely<unknown>) {
        // Library mode: users owned by the host application, found by the host's own id.
        await db.schema.alterTable('users').addColumn('external_id', 'text').execute();
        await db.schema
          .createIndex('users_external_id')
          .unique()
          .on('users')
          .column('external_id')
          .where(sql.ref('external_id'), 'is not', null)
          .execute();
      },
    },
    '0005_users_by_name': {
      async up(db: Kysely<unknown>) {
        // The directory's order (`searchUsers`): pages are read in index order instead of sorting the table.
        await db.schema
          .createIndex('users_name_lower_id')
          .on('users')
          .expression(sql`lower(name), id`)
          .execute();
      },
    },
    '0006_user_disabled_at': {
      async up(db: Kysely<unknown>) {
        // A disabled user keeps their row and messages but cannot log in, and their tokens are refused.
        await db.schema.alterTable('users').addColumn('disabled_at', 'bigint').execute();
      },
    },
    '0007_conversations': conversationsMigration(dialect),
  };
}

/**
 * Brings the database to the latest schema (or only up to the migration named `upTo`, to build an older
 * schema in tests); throws with the failing migration's error.
 */
export async function migrateToLatest(dialect: StoreDialect, upTo?: string): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const migrator = new Migrator({
    db: dialect.db,
    provider,
    migrationTableSchema: await dialect.currentSchema(),
  });
  const { error, results } = await (upTo === undefined
    ? migrator.migrateToLatest()
    : migrator.migrateTo(upTo));
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
