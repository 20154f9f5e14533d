import { LRUCache } from 'lru-cache';
import { sql, type Kysely, type Selectable } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { Message, User } from '../domain/types.js';
import { Batcher } from './batcher.js';
import { PendingKeys } from './pending-keys.js';
import { upsertExternalUser } from './external-users.js';
import { deleteUser, setUserDisabled } from './user-accounts.js';
import type { StoreDialect } from './dialect.js';
import { toMessage, toMessageRow, toUser, userColumns } from './rows.js';
import { searchUsers } from './user-search.js';
import { definedIds, idOf, pairOf, type Database, type MessagesTable } from './schema.js';
import type { ExternalUser, NewMessage, NewUser, Store, UserSearch } from './store.js';

/**
 * The one `Store`: Kysely over SQLite or PostgreSQL, differing only through `StoreDialect`.
 *
 * @example const store = new KyselyStore(createSqliteDialect('./data/parley.db'));
 */
export class KyselyStore implements Store {
  private readonly db;
  /** Messages sent in the same event-loop turn are inserted by one statement, in one commit. */
  private readonly messageInserts: Batcher<NewMessage, number>;
  /** Pairs whose contact rows this process has written, so later sends skip them. */
  private readonly knownPairs = new LRUCache<string, true>({ max: 100_000 });
  /** Inserts under way by `senderId|clientMessageId`. */
  private readonly pendingClientIds = new PendingKeys<number>();

  constructor(private readonly dialect: StoreDialect) {
    this.db = dialect.db;
    // Only a constraint (a duplicate client message id) can fail one row of a batch; anything else
    // (storage unreachable, locked) would fail each row alone again.
    this.messageInserts = new Batcher(
      (batch) => this.insertMessageRows(batch),
      200,
      (err) => dialect.isConstraintViolation(err),
    );
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

  deleteUser(userId: string): Promise<boolean> {
    return deleteUser(this.db, userId);
  }

  async insertMessage(message: NewMessage): Promise<Message> {
    let id: number;
    try {
      id = await this.deduplicated(message);
    } catch (err) {
      // The only unique index a message can violate is the sender's client message id.
      if (this.dialect.isUniqueViolation(err)) throw new AppError('DUPLICATE_MESSAGE');
      // The other constraint, the users' foreign keys: one of them was deleted since it was looked up.
      if (this.dialect.isConstraintViolation(err)) throw new AppError('RECEIVER_NOT_FOUND');
      throw err;
    }
    return { id: String(id), ...message, readAt: null };
  }

  /**
   * A second copy of a message whose client id is being inserted would fail the unique index and, with
   * it, the whole batch (retried row by row): it waits for the first instead, then fails as a duplicate.
   */
  private async deduplicated(message: NewMessage): Promise<number> {
    if (message.clientMessageId === undefined) return this.messageInserts.add(message);
    const key = `${message.senderId}|${message.clientMessageId}`;
    const first = await this.pendingClientIds.once(key, () => this.messageInserts.add(message));
    if (!first) throw new AppError('DUPLICATE_MESSAGE');
    return first.result;
  }

  /**
   * One multi-row INSERT (plus the contact rows of pairs new to this process, in the same transaction).
   * Ids are assigned in VALUES order (rowid / bigserial), so the returned ids, sorted, belong to the rows
   * in order — RETURNING itself promises no order.
   */
  private async insertMessageRows(batch: NewMessage[]): Promise<number[]> {
    const values = batch.map(toMessageRow);
    const newPairs = new Map<string, { user_low: number; user_high: number }>();
    for (const v of values) {
      const key = `${v.user_low}:${v.user_high}`;
      if (!this.knownPairs.has(key)) newPairs.set(key, v);
    }
    const insert = async (db: Kysely<Database>) => {
      const rows = await db.insertInto('messages').values(values).returning('id').execute();
      if (newPairs.size > 0) {
        const contacts = [...newPairs.values()].flatMap((p) => [
          { user_id: p.user_low, contact_id: p.user_high },
          { user_id: p.user_high, contact_id: p.user_low },
        ]);
        await db
          .insertInto('contacts')
          .values(contacts)
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
      return rows;
    };
    const { orderCommits } = this.dialect;
    const rows =
      orderCommits || newPairs.size > 0
        ? await this.db.transaction().execute(async (tx) => {
            await orderCommits?.(tx);
            return insert(tx);
          })
        : await insert(this.db);
    for (const key of newPairs.keys()) this.knownPairs.set(key, true);
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
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
    await this.db
      .updateTable('messages')
      .set({ read_at: at.getTime() })
      .where('id', '=', numeric)
      .where('read_at', 'is', null)
      .execute();
    return this.findMessage(id);
  }

  async conversation(userA: string, userB: string, page: { offset: number; limit: number }) {
    const a = idOf(userA);
    const b = idOf(userB);
    if (a === undefined || b === undefined) return [];
    const { user_low, user_high } = pairOf(a, b);
    const rows = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('user_low', '=', user_low)
      .where('user_high', '=', user_high)
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
    // Through the user's contacts, each pair's range read from the (pair, id) index: no index of its own
    // to maintain on every insert.
    const { rows } = await sql<Selectable<MessagesTable>>`
      select m.* from contacts c
      join messages m
        on m.user_low = case when c.user_id < c.contact_id then c.user_id else c.contact_id end
       and m.user_high = case when c.user_id < c.contact_id then c.contact_id else c.user_id end
       and m.id > ${after}
      where c.user_id = ${id}
      order by m.id
      limit ${limit}`.execute(this.db);
    return rows.map(toMessage);
  }

  async countUnread(userId: string): Promise<number> {
    const id = idOf(userId);
    if (id === undefined) return 0;
    const row = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('receiver_id', '=', id)
      .where('read_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async contactsOf(userId: string): Promise<string[]> {
    const id = idOf(userId);
    if (id === undefined) return [];
    const rows = await this.db
      .selectFrom('contacts')
      .select('contact_id')
      .where('user_id', '=', id)
      .execute();
    return rows.map((r) => String(r.contact_id));
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async close(): Promise<void> {
    await this.messageInserts.drain();
    await this.db.destroy();
  }
}
