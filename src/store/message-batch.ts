import type { SqliteDatabase, SqliteStatement } from './sqlite-driver.js';
import type { Selectable } from 'kysely';
import type { toMessageRow } from './rows.js';
import type { MessagesTable } from './schema.js';

export type MessageRow = ReturnType<typeof toMessageRow>;

/** Per conversation of a batch: how many messages, how many each sender sent, the newest id and time. */
export interface ConversationTotals {
  total: number;
  bySender: Map<number, number>;
  lastId: number;
  lastAt: number;
}

/** The batch's messages per conversation; `ids[i]` is the id stored for `values[i]`. */
export function summarize(values: MessageRow[], ids: number[]): Map<number, ConversationTotals> {
  const byConversation = new Map<number, ConversationTotals>();
  values.forEach((v, i) => {
    const id = ids[i] as number;
    let c = byConversation.get(v.conversation_id);
    if (!c)
      byConversation.set(v.conversation_id, (c = { total: 0, bySender: new Map(), lastId: 0, lastAt: 0 }));
    c.total += 1;
    c.bySender.set(v.sender_id, (c.bySender.get(v.sender_id) ?? 0) + 1);
    c.lastId = Math.max(c.lastId, id);
    c.lastAt = Math.max(c.lastAt, v.sent_at);
  });
  return byConversation;
}

interface Statements {
  insert: SqliteStatement;
  members: SqliteStatement;
  own: SqliteStatement;
  byClientId: SqliteStatement;
}

const statementsByDatabase = new WeakMap<SqliteDatabase, Statements>();

/** Prepared once per connection: fixed texts, whatever the batch's size or shape. */
function statementsFor(db: SqliteDatabase): Statements {
  let statements = statementsByDatabase.get(db);
  if (statements) return statements;
  statements = {
    insert: db.prepare(
      `insert into messages (conversation_id, sender_id, receiver_id, content, sent_at, read_at, client_message_id)
       values (?, ?, ?, ?, ?, ?, ?)`,
    ),
    // Every member: unread up by the conversation's new messages, less those the member sent (the first
    // two senders here; any others below), newest message and activity moved forward, never back.
    members: db.prepare(
      `update conversation_members set
         unread_count = unread_count + ? - (case user_id when ? then ? when ? then ? else 0 end),
         last_message_id = max(last_message_id, ?),
         last_activity_at = max(last_activity_at, ?)
       where conversation_id = ?`,
    ),
    own: db.prepare(
      `update conversation_members set unread_count = unread_count - ? where conversation_id = ? and user_id = ?`,
    ),
    byClientId: db.prepare(`select * from messages where sender_id = ? and client_message_id = ?`),
  };
  statementsByDatabase.set(db, statements);
  return statements;
}

/**
 * Stores a batch on SQLite and updates its conversations' member rows, synchronously: to be run inside one
 * transaction on the connection (`StoreDialect.inSyncTransaction`). Prepared statements of fixed text, one
 * insert per message (each returning its own rowid) and one update per conversation — a fraction of what
 * the same work costs as one multi-row statement compiled by Kysely and awaited step by step.
 */
export function writeBatchSync(db: SqliteDatabase, values: MessageRow[]): number[] {
  const { insert, members, own } = statementsFor(db);
  const ids = values.map((v) =>
    Number(
      insert.run(
        v.conversation_id,
        v.sender_id,
        v.receiver_id,
        v.content,
        v.sent_at,
        v.read_at,
        v.client_message_id,
      ).lastInsertRowid,
    ),
  );
  for (const [conversationId, c] of summarize(values, ids)) {
    const senders = [...c.bySender];
    const [first, second] = senders;
    members.run(
      c.total,
      first?.[0] ?? null,
      first?.[1] ?? 0,
      second?.[0] ?? null,
      second?.[1] ?? 0,
      c.lastId,
      c.lastAt,
      conversationId,
    );
    for (const [sender, n] of senders.slice(2)) own.run(n, conversationId, sender);
  }
  return ids;
}

/**
 * The sender's message with this client id, if stored: the lookup before every send of the typed client,
 * as one prepared statement run synchronously (`StoreDialect.inSyncTransaction`).
 */
export function findByClientIdSync(
  db: SqliteDatabase,
  senderId: number,
  clientMessageId: string,
): Selectable<MessagesTable> | undefined {
  return statementsFor(db).byClientId.get(senderId, clientMessageId) as Selectable<MessagesTable> | undefined;
}
