import { sql, type Kysely, type Selectable } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { Message, User } from '../domain/types.js';
import { LRUCache } from 'lru-cache';
import { Batcher } from './batcher.js';
import type { StoreDialect } from './dialect.js';
import { conversationKey, type Database, type MessagesTable, type UsersTable } from './schema.js';
import type { NewMessage, NewUser, Store, UserSearch } from './store.js';

const toDate = (ms: number | string | null): Date | null => (ms === null ? null : new Date(Number(ms)));

const toUser = (row: Omit<Selectable<UsersTable>, 'password_hash'>): User => ({
  id: row.id,
  name: row.name,
  username: row.username,
  email: row.email,
  role: row.role,
  lastSeen: toDate(row.last_seen),
  createdAt: new Date(Number(row.created_at)),
});

const toMessage = (row: Selectable<MessagesTable>): Message => ({
  id: String(row.id),
  senderId: row.sender_id,
  receiverId: row.receiver_id,
  content: row.content,
  sentAt: new Date(Number(row.sent_at)),
  readAt: toDate(row.read_at),
});

/** Message ids are decimal strings of a bigint; anything else cannot name a message. */
const messageIdOf = (id: string): number | undefined => {
  if (!/^\d{1,15}$/.test(id)) return undefined;
  return Number(id);
};

const userColumns = ['id', 'name', 'username', 'email', 'role', 'last_seen', 'created_at'] as const;

/** Escapes LIKE wildcards so a search for `50%` means the characters, not a pattern. */
const likePattern = (query: string): string => `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * The one `Store`: Kysely over SQLite or PostgreSQL, differing only through `StoreDialect`.
 *
 * @example const store = new KyselyStore(createSqliteDialect('./data/parley.db'));
 */
export class KyselyStore implements Store {
  private readonly db;
  /** Messages sent in the same event-loop turn are inserted by one statement, in one commit. */
  private readonly messageInserts: Batcher<NewMessage, number>;
  /** Conversation keys whose contact rows this process has written (or found), so sends skip them. */
  private readonly knownPairs = new LRUCache<string, true>({ max: 100_000 });

  constructor(private readonly dialect: StoreDialect) {
    this.db = dialect.db;
    this.messageInserts = new Batcher((batch) => this.insertMessageRows(batch), 200);
  }

  async createUser(user: NewUser): Promise<User> {
    try {
      await this.db
        .insertInto('users')
        .values({
          id: user.id,
          name: user.name,
          username: user.username,
          email: user.email,
          role: user.role,
          password_hash: user.passwordHash,
          last_seen: null,
          created_at: user.createdAt.getTime(),
        })
        .execute();
    } catch (err) {
      if (!this.dialect.isUniqueViolation(err)) throw err;
      const taken = await this.db
        .selectFrom('users')
        .select('id')
        .where(sql<string>`lower(username)`, '=', user.username.toLowerCase())
        .executeTakeFirst();
      throw new AppError(taken ? 'USERNAME_TAKEN' : 'EMAIL_TAKEN');
    }
    return {
      id: user.id,
      name: user.name,
      username: user.username,
      email: user.email,
      role: user.role,
      lastSeen: null,
      createdAt: user.createdAt,
    };
  }

  async findUserById(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async findUsersByIds(ids: readonly string[]): Promise<User[]> {
    const users: User[] = [];
    // Chunked: engines cap the number of bound parameters in one statement.
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db
        .selectFrom('users')
        .select(userColumns)
        .where('id', 'in', ids.slice(i, i + 500))
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

  async searchUsers(search: UserSearch): Promise<{ users: User[]; total: number }> {
    let base = this.db.selectFrom('users');
    if (search.excludeId) base = base.where('id', '!=', search.excludeId);
    if (search.query) {
      const pattern = likePattern(search.query);
      base = base.where((eb) =>
        eb.or([
          eb(sql`lower(name)`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`lower(username)`, 'like', sql`${pattern} escape '\\'`),
          eb(sql`email`, 'like', sql`${pattern} escape '\\'`),
        ]),
      );
    }
    const [rows, count] = await Promise.all([
      base
        .select(userColumns)
        .orderBy(sql`lower(name)`)
        .orderBy('id')
        .limit(search.limit)
        .offset(search.offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { users: rows.map(toUser), total: Number(count.n) };
  }

  async setLastSeen(userId: string, at: Date): Promise<void> {
    await this.db.updateTable('users').set({ last_seen: at.getTime() }).where('id', '=', userId).execute();
  }

  async insertMessage(message: NewMessage): Promise<Message> {
    const id = await this.messageInserts.add(message);
    return { id: String(id), ...message, readAt: null };
  }

  /**
   * One multi-row INSERT. Ids are assigned in VALUES order (rowid / bigserial), so the returned ids,
   * sorted, belong to the rows in order — RETURNING itself promises no order.
   */
  private async insertMessageRows(batch: NewMessage[]): Promise<number[]> {
    const values = batch.map((m) => ({
      conversation: conversationKey(m.senderId, m.receiverId),
      sender_id: m.senderId,
      receiver_id: m.receiverId,
      content: m.content,
      sent_at: m.sentAt.getTime(),
      read_at: null,
    }));
    const newPairs = new Map<string, NewMessage>();
    for (const [i, v] of values.entries()) {
      if (!this.knownPairs.has(v.conversation)) newPairs.set(v.conversation, batch[i] as NewMessage);
    }
    const insert = async (db: Kysely<Database>) => {
      const rows = await db.insertInto('messages').values(values).returning('id').execute();
      if (newPairs.size > 0) {
        const contacts = [...newPairs.values()].flatMap((m) => [
          { user_id: m.senderId, contact_id: m.receiverId },
          { user_id: m.receiverId, contact_id: m.senderId },
        ]);
        await db
          .insertInto('contacts')
          .values(contacts)
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      return rows;
    };
    const rows = newPairs.size > 0 ? await this.db.transaction().execute(insert) : await insert(this.db);
    for (const key of newPairs.keys()) this.knownPairs.set(key, true);
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }

  async findMessage(id: string): Promise<Message | undefined> {
    const numeric = messageIdOf(id);
    if (numeric === undefined) return undefined;
    const row = await this.db.selectFrom('messages').selectAll().where('id', '=', numeric).executeTakeFirst();
    return row && toMessage(row);
  }

  async markRead(id: string, at: Date): Promise<Message | undefined> {
    const numeric = messageIdOf(id);
    if (numeric === undefined) return undefined;
    await this.db
      .updateTable('messages')
      .set({ read_at: at.getTime() })
      .where('id', '=', numeric)
      .where('read_at', 'is', null)
      .execute();
    return this.findMessage(id);
  }

  async conversation(userA: string, userB: string, page: { offset: number; limit: number }) {
    const rows = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('conversation', '=', conversationKey(userA, userB))
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map(toMessage);
  }

  async countUnread(userId: string): Promise<number> {
    const row = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('receiver_id', '=', userId)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async contactsOf(userId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('contacts')
      .select('contact_id')
      .where('user_id', '=', userId)
      .execute();
    return rows.map((r) => r.contact_id);
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.messageInserts.drain();
    await this.db.destroy();
  }
}

export type { Database };
