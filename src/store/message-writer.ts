import { LRUCache } from 'lru-cache';
import { sql, type Kysely } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { Message } from '../domain/types.js';
import { Batcher } from './batcher.js';
import { findDirect, openDirect } from './conversation-queries.js';
import type { StoreDialect } from './dialect.js';
import { PendingKeys } from './pending-keys.js';
import { summarize, writeBatchSync, type MessageRow } from './message-batch.js';
import { toMessageRow } from './rows.js';
import { idOf, type Database } from './schema.js';
import type { NewMessage } from './store.js';

type Row = MessageRow;

/**
 * Stores messages: those sent in the same event-loop turn are stored as one batch, and their conversations'
 * member rows (unread counts, newest message, activity time) updated in the same transaction, so counts
 * never disagree with the messages.
 */
export class MessageWriter {
  private readonly inserts: Batcher<Row, number>;
  /** Inserts under way by `senderId|clientMessageId`. */
  private readonly pendingClientIds = new PendingKeys<number>();
  /** Direct conversations being looked up or created, by pair. */
  private readonly opening = new PendingKeys<{ id: number; created: boolean }>();
  /** Direct conversation ids by pair (`low:high`): a pair's conversation never changes while it exists. */
  private readonly directIds = new LRUCache<string, number>({ max: 100_000 });

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
  ) {
    // Only a constraint (a duplicate client message id, a deleted user) can fail one row of a batch;
    // anything else (storage unreachable, locked) would fail each row alone again.
    this.inserts = new Batcher(
      (batch) => this.insertRows(batch),
      200,
      (err) => dialect.isConstraintViolation(err),
    );
  }

  /** The pair's direct conversation, created if needed. */
  async openDirect(userA: string, userB: string, now: Date): Promise<{ id: string; created: boolean }> {
    const a = idOf(userA);
    const b = idOf(userB);
    if (a === undefined || b === undefined || a === b) throw new AppError('USER_NOT_FOUND');
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    const cached = this.directIds.get(key);
    if (cached !== undefined) return { id: String(cached), created: false };
    // Concurrent first sends of a pair share one lookup (and so reach the same insert batch).
    const first = await this.opening.once(key, async () => {
      try {
        const opened = await openDirect(this.db, a, b, now.getTime());
        this.directIds.set(key, opened.id);
        return opened;
      } catch (err) {
        // A member's foreign key: one of the users does not exist (any more).
        if (this.dialect.isConstraintViolation(err)) throw new AppError('USER_NOT_FOUND');
        throw err;
      }
    });
    if (!first) return this.openDirect(userA, userB, now);
    return { id: String(first.result.id), created: first.result.created };
  }

  /** The pair's direct conversation id, if they have one. */
  async findDirect(userA: string, userB: string): Promise<string | undefined> {
    const a = idOf(userA);
    const b = idOf(userB);
    if (a === undefined || b === undefined || a === b) return undefined;
    const key = a < b ? `${a}:${b}` : `${b}:${a}`;
    const cached = this.directIds.get(key);
    if (cached !== undefined) return String(cached);
    const found = await findDirect(this.db, a, b);
    if (found === undefined) return undefined;
    this.directIds.set(key, found);
    return String(found);
  }

  /** Forgets cached conversations of a user (deleted). */
  forgetUser(userId: string): void {
    for (const key of this.directIds.keys()) {
      if (key.split(':').includes(userId)) this.directIds.delete(key);
    }
  }

  async insert(message: NewMessage): Promise<Message> {
    let conversationId = message.conversationId;
    if (conversationId === undefined) {
      if (message.receiverId === null) throw new Error('a message needs a conversation or a receiver');
      try {
        conversationId = (await this.openDirect(message.senderId, message.receiverId, message.sentAt)).id;
      } catch (err) {
        // A receiver deleted since it was looked up: the send's answer, as for an insert that finds them gone.
        if (err instanceof AppError && err.code === 'USER_NOT_FOUND')
          throw new AppError('RECEIVER_NOT_FOUND');
        throw err;
      }
    }
    const row = toMessageRow({ ...message, conversationId });
    let id: number;
    try {
      id = await this.deduplicated(row);
    } catch (err) {
      // The only unique index a message can violate is the sender's client message id.
      if (this.dialect.isUniqueViolation(err)) throw new AppError('DUPLICATE_MESSAGE');
      // The other constraints, foreign keys: a user (and their conversations) deleted since the lookup.
      if (this.dialect.isConstraintViolation(err)) {
        if (message.receiverId !== null) this.forgetUser(message.receiverId);
        throw new AppError('RECEIVER_NOT_FOUND');
      }
      throw err;
    }
    return { id: String(id), ...message, conversationId, readAt: null };
  }

  drain(): Promise<void> {
    return this.inserts.drain();
  }

  /**
   * A second copy of a message whose client id is being inserted would fail the unique index and, with
   * it, the whole batch (retried row by row): it waits for the first instead, then fails as a duplicate.
   */
  private async deduplicated(row: Row): Promise<number> {
    if (row.client_message_id === null) return this.inserts.add(row);
    const key = `${row.sender_id}|${row.client_message_id}`;
    const first = await this.pendingClientIds.once(key, () => this.inserts.add(row));
    if (!first) throw new AppError('DUPLICATE_MESSAGE');
    return first.result;
  }

  /**
   * One transaction per batch. On SQLite, prepared statements run synchronously (`writeBatchSync`). On
   * PostgreSQL, under the lock that orders commits, one multi-row INSERT and one UPDATE of the member rows
   * of every conversation in the batch: two round trips, whatever the batch. Ids are assigned in VALUES
   * order (bigserial), so the returned ids, sorted, belong to the rows in order — RETURNING itself promises
   * no order.
   */
  private async insertRows(values: Row[]): Promise<number[]> {
    const { inSyncTransaction } = this.dialect;
    if (inSyncTransaction) return inSyncTransaction((db) => writeBatchSync(db, values));
    return this.db.transaction().execute(async (tx) => {
      await this.dialect.orderCommits?.(tx);
      const rows = await tx.insertInto('messages').values(values).returning('id').execute();
      const ids = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
      await updateMembers(tx, summarize(values, ids));
      return ids;
    });
  }
}

const int = (n: number) => sql`cast(${n} as bigint)`;

/**
 * Each member of each conversation: unread count up by the batch's messages there that others sent,
 * newest message and activity time moved forward (never back: batches of several processes interleave).
 */
async function updateMembers(db: Kysely<Database>, batch: ReturnType<typeof summarize>): Promise<void> {
  const conversations = [...batch];
  const totals = conversations.map(
    ([id, c]) => sql`(${int(id)}, ${int(c.total)}, ${int(c.lastId)}, ${int(c.lastAt)})`,
  );
  const own = conversations.flatMap(([id, c]) =>
    [...c.bySender].map(([sender, n]) => sql`(${int(id)}, ${int(sender)}, ${int(n)})`),
  );
  await sql`with v (conversation_id, total, last_id, last_at) as (values ${sql.join(totals)}),
      s (conversation_id, sender_id, n) as (values ${sql.join(own)})
    update conversation_members as cm set
      unread_count = cm.unread_count + v.total - coalesce((select s.n from s
        where s.conversation_id = cm.conversation_id and s.sender_id = cm.user_id), 0),
      last_message_id = case when cm.last_message_id < v.last_id then v.last_id else cm.last_message_id end,
      last_activity_at = case when cm.last_activity_at < v.last_at then v.last_at else cm.last_activity_at end
    from v where cm.conversation_id = v.conversation_id`.execute(db);
}
