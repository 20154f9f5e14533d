import { sql } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { ConversationMember, ConversationView, InboxPosition, Message, User } from '../domain/types.js';
import * as conversations from './conversation-queries.js';
import * as views from './conversation-views.js';
import { KyselyGroupStore } from './kysely-group-store.js';
import * as members from './member-queries.js';
import { findByClientIdSync } from './message-batch.js';
import { MessageWriter } from './message-writer.js';
import { markConversationRead } from './read-cursors.js';
import { upsertExternalUser } from './external-users.js';
import { deleteUser, setUserDisabled } from './user-accounts.js';
import type { StoreDialect } from './dialect.js';
import { toMessage, toUser, userColumns } from './rows.js';
import { searchUsers } from './user-search.js';
import { definedIds, idOf } from './schema.js';
import type { ConversationInfo, ExternalUser, NewMessage, NewUser, Store, UserSearch } from './store.js';

/**
 * The one `Store`: Kysely over SQLite or PostgreSQL, differing only through `StoreDialect`.
 *
 * @example const store = new KyselyStore(createSqliteDialect('./data/parley.db'));
 */
export class KyselyStore implements Store {
  private readonly db;
  /** Batched message inserts and the member rows they update. */
  private readonly messages: MessageWriter;
  readonly groups: KyselyGroupStore;

  constructor(private readonly dialect: StoreDialect) {
    this.db = dialect.db;
    this.messages = new MessageWriter(this.db, dialect);
    this.groups = new KyselyGroupStore(this.db, dialect);
  }

  async createUser(user: NewUser): Promise<User> {
    let id: number;
    try {
      const row = await this.db
        .insertInto('users')
        .values({
          name: user.name,
          username: user.username,
          email: user.email,
          role: user.role,
          password_hash: user.passwordHash,
          last_seen: null,
          created_at: user.createdAt.getTime(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      id = Number(row.id);
    } catch (err) {
      if (!this.dialect.isUniqueViolation(err)) throw err;
      const taken = await this.db
        .selectFrom('users')
        .select('id')
        .where(sql<string>`lower(username)`, '=', user.username.toLowerCase())
        .executeTakeFirst();
      throw new AppError(taken ? 'USERNAME_TAKEN' : 'EMAIL_TAKEN');
    }
    const { passwordHash: _hash, ...profile } = user;
    return { id: String(id), ...profile, lastSeen: null };
  }

  upsertExternalUser(user: ExternalUser, now: Date): Promise<User> {
    return upsertExternalUser(this.db, this.dialect, user, now);
  }

  async findUserById(id: string): Promise<User | undefined> {
    const numeric = idOf(id);
    if (numeric === undefined) return undefined;
    const row = await this.db
      .selectFrom('users')
      .select(userColumns)
      .where('id', '=', numeric)
      .executeTakeFirst();
    return row && toUser(row);
  }

  async findUsersByIds(ids: readonly string[]): Promise<User[]> {
    const numeric = definedIds(ids);
    const users: User[] = [];
    // Chunked: engines cap the number of bound parameters in one statement.
    for (let i = 0; i < numeric.length; i += 500) {
      const rows = await this.db
        .selectFrom('users')
        .select(userColumns)
        .where('id', 'in', numeric.slice(i, i + 500))
        .execute();
      users.push(...rows.map(toUser));
    }
    return users;
  }

  async findCredentials(login: { email?: string; username?: string }) {
    let query = this.db.selectFrom('users').select([...userColumns, 'password_hash']);
    if (login.email) query = query.where('email', '=', login.email.toLowerCase());
    else if (login.username)
      query = query.where(sql<string>`lower(username)`, '=', login.username.toLowerCase());
    else return undefined;
    const row = await query.executeTakeFirst();
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  searchUsers(search: UserSearch): Promise<{ users: User[]; total: number }> {
    return searchUsers(this.db, search);
  }

  async setLastSeen(userId: string, at: Date): Promise<void> {
    const id = idOf(userId);
    if (id === undefined) return;
    await this.db.updateTable('users').set({ last_seen: at.getTime() }).where('id', '=', id).execute();
  }

  setUserDisabled(userId: string, disabledAt: Date | null): Promise<User | undefined> {
    return setUserDisabled(this.db, userId, disabledAt);
  }

  async deleteUser(userId: string): Promise<boolean> {
    const deleted = await deleteUser(this.db, userId, this.dialect.orderCommits);
    this.messages.forgetUser(userId);
    return deleted;
  }

  insertMessage(message: NewMessage): Promise<Message> {
    return this.messages.insert(message);
  }

  async findMessage(id: string): Promise<Message | undefined> {
    const numeric = idOf(id);
    if (numeric === undefined) return undefined;
    const row = await this.db.selectFrom('messages').selectAll().where('id', '=', numeric).executeTakeFirst();
    return row && toMessage(row);
  }

  async findByClientMessageId(senderId: string, clientMessageId: string): Promise<Message | undefined> {
    const sender = idOf(senderId);
    if (sender === undefined) return undefined;
    const { inSyncTransaction } = this.dialect;
    if (inSyncTransaction) {
      const found = await inSyncTransaction((db) => findByClientIdSync(db, sender, clientMessageId));
      return found && toMessage(found);
    }
    const row = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('sender_id', '=', sender)
      .where('client_message_id', '=', clientMessageId)
      .executeTakeFirst();
    return row && toMessage(row);
  }

  async markRead(id: string, at: Date): Promise<Message | undefined> {
    const numeric = idOf(id);
    if (numeric === undefined) return undefined;
    await this.db.transaction().execute(async (tx) => {
      const message = await tx
        .selectFrom('messages')
        .select(['conversation_id', 'receiver_id'])
        .where('id', '=', numeric)
        .executeTakeFirst();
      if (!message || message.receiver_id === null) return;
      const result = await tx
        .updateTable('messages')
        .set({ read_at: at.getTime() })
        .where('id', '=', numeric)
        .where('read_at', 'is', null)
        .executeTakeFirst();
      // Unread until now: one fewer for the receiver, in the same transaction.
      if (Number(result.numUpdatedRows) === 0) return;
      await tx
        .updateTable('conversation_members')
        .set((eb) => ({ unread_count: eb('unread_count', '-', 1) }))
        .where('conversation_id', '=', message.conversation_id)
        .where('user_id', '=', message.receiver_id)
        .execute();
    });
    return this.findMessage(id);
  }

  async conversation(userA: string, userB: string, page: { offset: number; limit: number }) {
    const a = idOf(userA);
    const b = idOf(userB);
    if (a === undefined || b === undefined) return [];
    const rows = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', (eb) =>
        eb
          .selectFrom('conversations')
          .select('id')
          .where('direct_low', '=', Math.min(a, b))
          .where('direct_high', '=', Math.max(a, b)),
      )
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map(toMessage);
  }

  async messagesSince(userId: string, afterId: string, limit: number): Promise<Message[]> {
    const id = idOf(userId);
    const after = afterId === '0' ? 0 : idOf(afterId);
    if (id === undefined || after === undefined) return [];
    // Through the user's memberships, each conversation's range read from the (conversation, id) index:
    // no index of its own to maintain on every insert.
    const rows = await this.db
      .selectFrom('conversation_members as cm')
      .innerJoin('messages as m', (join) =>
        join.onRef('m.conversation_id', '=', 'cm.conversation_id').on('m.id', '>', after),
      )
      .selectAll('m')
      .select(['cm.last_read_message_id as viewer_cursor', 'cm.last_read_at as viewer_read_at'])
      .where('cm.user_id', '=', id)
      .orderBy('m.id')
      .limit(limit)
      .execute();
    // A group message's `readAt` is the viewer's own read state (their cursor), as in a group's history.
    return rows.map(({ viewer_cursor, viewer_read_at, ...row }) => {
      const message = toMessage(row);
      if (row.receiver_id !== null) return message;
      const read = row.sender_id === id || Number(row.id) <= Number(viewer_cursor);
      return { ...message, readAt: read ? new Date(Number(viewer_read_at ?? row.sent_at)) : null };
    });
  }

  countUnread(userId: string): Promise<number> {
    return conversations.countUnread(this.db, userId);
  }

  contactsOf(userId: string): Promise<string[]> {
    return members.contactsOf(this.db, userId);
  }

  openDirect(userA: string, userB: string, now: Date): Promise<{ id: string; created: boolean }> {
    return this.messages.openDirect(userA, userB, now);
  }

  conversationFor(conversationId: string, viewerId: string): Promise<ConversationView | undefined> {
    return views.conversationFor(this.db, this.dialect, conversationId, viewerId);
  }

  inbox(userId: string, page: { limit: number; after?: InboxPosition }): Promise<ConversationView[]> {
    return views.inbox(this.db, this.dialect, userId, page);
  }

  conversationMembers(
    conversationId: string,
    page: { limit: number; after?: { joinedAt: number; userId: string } },
  ): Promise<ConversationMember[]> {
    return members.membersPage(this.db, conversationId, page);
  }

  findDirect(userA: string, userB: string): Promise<string | undefined> {
    return this.messages.findDirect(userA, userB);
  }

  conversationInfo(conversationId: string): Promise<ConversationInfo | undefined> {
    return conversations.conversationInfo(this.db, conversationId);
  }

  markConversationRead(conversationId: string, userId: string, upTo: string | undefined, at: Date) {
    return markConversationRead(this.db, conversationId, userId, upTo, at.getTime());
  }

  conversationMessages(
    conversationId: string,
    page: { before?: string; after?: string; offset?: number; limit: number },
  ) {
    return conversations.conversationMessages(this.db, conversationId, page);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.messages.drain();
    await this.db.destroy();
  }
}
