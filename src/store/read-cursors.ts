import { sql, type Kysely } from 'kysely';
import { AppError } from '../domain/errors.js';
import type { ReadState } from '../domain/types.js';
import { readStateOf, viewColumns } from './conversation-views.js';
import { idOf, type Database } from './schema.js';

/**
 * Moves the member's read cursor forward to `upTo` (default: the newest message) and returns their read
 * state; undefined when they are not a member. In a direct conversation the covered messages from the
 * other member get their read flag (`read_at`) as well, so flags and cursor agree; the unread count drops
 * by exactly the messages that became read. A cursor never moves back; concurrent moves settle on the
 * furthest. A `upTo` that is not a message of this conversation is refused as `MESSAGE_NOT_FOUND`.
 *
 * Locks are taken in one order everywhere (message rows, then the member row, as `markRead` does), and a
 * member row is locked only by the statement that writes it, at the end: a reader never holds the row a
 * message batch is waiting for (on PostgreSQL, under the lock that orders every process's commits).
 */
export async function markConversationRead(
  db: Kysely<Database>,
  conversationId: string,
  userId: string,
  upTo: string | undefined,
  at: number,
): Promise<{ state: ReadState; moved: boolean } | undefined> {
  const id = idOf(conversationId);
  const user = idOf(userId);
  if (id === undefined || user === undefined) return undefined;
  try {
    return await db.transaction().execute(async (tx) => {
      const member = await tx
        .selectFrom('conversation_members as cm')
        .innerJoin('conversations as c', 'c.id', 'cm.conversation_id')
        .select(viewColumns)
        .where('cm.conversation_id', '=', id)
        .where('cm.user_id', '=', user)
        .executeTakeFirst();
      if (!member) return undefined;
      const target = await cursorTarget(tx, id, upTo);
      const from = Number(member.last_read_message_id);
      if (target <= from) return { state: readStateOf(member), moved: false };
      // In a direct conversation: exactly the messages this call flipped (row locks make each flip one
      // caller's). In a group: the messages between the cursor as the UPDATE finds it and the target.
      let covered: number | ReturnType<typeof sql<number>>;
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
        covered = sql<number>`(select count(*) from messages m where m.conversation_id = ${id}
        and m.id > conversation_members.last_read_message_id and m.id <= ${target} and m.sender_id <> ${user})`;
      }
      const advance = sql<boolean>`last_read_message_id < ${target}`;
      const updated = await tx
        .updateTable('conversation_members')
        .set((eb) => ({
          last_read_message_id: sql<number>`case when ${advance} then ${target} else last_read_message_id end`,
          last_read_at: sql<number | null>`case when ${advance} then ${at} else last_read_at end`,
          unread_count:
            typeof covered === 'number'
              ? eb('unread_count', '-', covered)
              : sql<number>`case when ${advance} then unread_count - ${covered} else unread_count end`,
        }))
        .where('conversation_id', '=', id)
        .where('user_id', '=', user)
        .returning(['conversation_id', 'user_id', 'last_read_message_id', 'last_read_at', 'unread_count'])
        .executeTakeFirst();
      // Removed from the group since the row was read (PostgreSQL: another transaction committed first).
      if (!updated) throw new NoLongerMember();
      return {
        state: readStateOf({ ...member, ...updated }),
        moved: true,
      };
    });
  } catch (err) {
    if (err instanceof NoLongerMember) return undefined;
    throw err;
  }
}

/** Rolls a cursor move back when its member row is gone: the caller is answered as a non-member. */
class NoLongerMember extends Error {}

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
  return newestMessageId(db, id);
}

/** The conversation's newest message id (0: none yet). */
export async function newestMessageId(db: Kysely<Database>, conversationId: number): Promise<number> {
  const newest = await db
    .selectFrom('messages')
    .select('id')
    .where('conversation_id', '=', conversationId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return newest ? Number(newest.id) : 0;
}
