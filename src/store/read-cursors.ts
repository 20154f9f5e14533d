import type { Kysely } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { ReadState } from '../domain/types.js';
import { readStateOf, viewColumns } from './conversation-queries.js';
import type { StoreDialect } from './dialect.js';
import { idOf, type Database } from './schema.js';

/**
 * Moves the member's read cursor forward to `upTo` (default: the newest message) and returns their read
 * state; undefined when they are not a member. In a direct conversation the covered messages from the
 * other member get their read flag (`read_at`) as well, so flags and cursor agree; the unread count drops
 * by exactly the messages that became read. A cursor never moves back; concurrent moves settle on the
 * furthest. A `upTo` that is not a message of this conversation is refused as `MESSAGE_NOT_FOUND`.
 */
export async function markConversationRead(
  db: Kysely<Database>,
  dialect: StoreDialect,
  conversationId: string,
  userId: string,
  upTo: string | undefined,
  at: number,
): Promise<{ state: ReadState; moved: boolean } | undefined> {
  const id = idOf(conversationId);
  const user = idOf(userId);
  if (id === undefined || user === undefined) return undefined;
  return db.transaction().execute(async (tx) => {
    let memberQuery = tx
      .selectFrom('conversation_members as cm')
      .innerJoin('conversations as c', 'c.id', 'cm.conversation_id')
      .select(viewColumns)
      .where('cm.conversation_id', '=', id)
      .where('cm.user_id', '=', user);
    // Concurrent moves of one member's cursor are serialized (SQLite has one writer anyway).
    if (dialect.rowLocks) memberQuery = memberQuery.forUpdate('cm');
    const member = await memberQuery.executeTakeFirst();
    if (!member) return undefined;
    const target = await cursorTarget(tx, id, upTo);
    const from = Number(member.last_read_message_id);
    if (target <= from) return { state: readStateOf(member), moved: false };
    let covered: number;
    if (member.type === 'direct') {
      const result = await tx
        .updateTable('messages')
        .set({ read_at: at })
        .where('conversation_id', '=', id)
        .where('id', '>', from)
        .where('id', '<=', target)
        .where('sender_id', '<>', user)
        .where('read_at', 'is', null)
        .executeTakeFirst();
      covered = Number(result.numUpdatedRows);
    } else {
      const row = await coveredMessages(tx, id, user, from, target).executeTakeFirstOrThrow();
      covered = Number(row.n);
    }
    const updated = await tx
      .updateTable('conversation_members')
      .set((eb) => ({
        last_read_message_id: target,
        last_read_at: at,
        unread_count: eb('unread_count', '-', covered),
      }))
      .where('conversation_id', '=', id)
      .where('user_id', '=', user)
      .returning(['conversation_id', 'user_id', 'last_read_message_id', 'last_read_at', 'unread_count'])
      .executeTakeFirstOrThrow();
    return {
      state: {
        conversationId: String(updated.conversation_id),
        userId: String(updated.user_id),
        lastReadMessageId: String(updated.last_read_message_id),
        lastReadAt: new Date(Number(updated.last_read_at)),
        unreadCount: Number(updated.unread_count),
      },
      moved: true,
    };
  });
}

/** How many messages from others lie in (from, to] of a conversation. */
const coveredMessages = (db: Kysely<Database>, id: number, user: number, from: number, to: number) =>
  db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('conversation_id', '=', id)
    .where('id', '>', from)
    .where('id', '<=', to)
    .where('sender_id', '<>', user);

/** The message a cursor moves to: `upTo` when it is a message of the conversation, else the newest. */
async function cursorTarget(db: Kysely<Database>, id: number, upTo: string | undefined): Promise<number> {
  if (upTo !== undefined) {
    const messageId = idOf(upTo);
    const found =
      messageId === undefined
        ? undefined
        : await db
            .selectFrom('messages')
            .select('id')
            .where('id', '=', messageId)
            .where('conversation_id', '=', id)
            .executeTakeFirst();
    if (!found) throw new AppError('MESSAGE_NOT_FOUND');
    return Number(found.id);
  }
  const newest = await db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', id)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return newest ? Number(newest.id) : 0;
}
