import type { Kysely } from 'kysely';
import { toMessage } from './rows.js';
import { idOf, type Database } from './schema.js';

/**
 * The direct conversation of a pair: found, or created with its two members in one transaction. The
 * unique index on the pair decides a race (across processes too): the loser's insert does nothing and it
 * reads the winner's row, which is committed by then.
 */
export async function openDirect(
  db: Kysely<Database>,
  a: number,
  b: number,
  now: number,
): Promise<{ id: number; created: boolean }> {
  const low = Math.min(a, b);
  const high = Math.max(a, b);
  const found = await findDirect(db, a, b);
  if (found !== undefined) return { id: found, created: false };
  const created = await db.transaction().execute(async (tx) => {
    const row = await tx
      .insertInto('conversations')
      .values({
        type: 'direct',
        title: null,
        direct_low: low,
        direct_high: high,
        created_by: a,
        created_at: now,
        member_count: 2,
      })
      .onConflict((oc) => oc.columns(['direct_low', 'direct_high']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) return undefined;
    const member = (user_id: number) => ({
      conversation_id: Number(row.id),
      user_id,
      role: 'member' as const,
      joined_at: now,
      last_read_message_id: 0,
      last_read_at: null,
      unread_count: 0,
      last_message_id: 0,
      last_activity_at: now,
    });
    await tx
      .insertInto('conversation_members')
      .values([member(low), member(high)])
      .execute();
    return Number(row.id);
  });
  if (created !== undefined) return { id: created, created: true };
  const winner = await findDirect(db, a, b);
  if (winner === undefined) throw new Error('direct conversation vanished while being created');
  return { id: winner, created: false };
}

/** A conversation's type, title and member ids (in joining order); undefined when there is none. */
export async function conversationInfo(db: Kysely<Database>, conversationId: string) {
  const id = idOf(conversationId);
  if (id === undefined) return undefined;
  const conversation = await db
    .selectFrom('conversations')
    .select(['type', 'title'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!conversation) return undefined;
  const rows = await db
    .selectFrom('conversation_members')
    .select('user_id')
    .where('conversation_id', '=', id)
    .orderBy('joined_at')
    .orderBy('user_id')
    .execute();
  return {
    id: String(id),
    type: conversation.type,
    title: conversation.title,
    memberIds: rows.map((r) => String(r.user_id)),
  };
}

/** The pair's direct conversation id, if they have one. */
export async function findDirect(db: Kysely<Database>, a: number, b: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('conversations')
    .select('id')
    .where('direct_low', '=', Math.min(a, b))
    .where('direct_high', '=', Math.max(a, b))
    .executeTakeFirst();
  return row && Number(row.id);
}

/** A page of a conversation by message id: `before` (newest first) or `after` (oldest first), or newest. */
export async function conversationMessages(
  db: Kysely<Database>,
  conversationId: string,
  page: { before?: string; after?: string; offset?: number; limit: number },
) {
  const id = idOf(conversationId);
  if (id === undefined) return [];
  let query = db.selectFrom('messages').selectAll().where('conversation_id', '=', id);
  if (page.after !== undefined) {
    query = query.where('id', '>', idOf(page.after) ?? 0).orderBy('id', 'asc');
  } else {
    if (page.before !== undefined) query = query.where('id', '<', idOf(page.before) ?? 0);
    query = query.orderBy('id', 'desc');
  }
  if (page.offset) query = query.offset(page.offset);
  const rows = await query.limit(page.limit).execute();
  return rows.map(toMessage);
}

/** The unread total: the sum over the user's conversations that have anything unread. */
export async function countUnread(db: Kysely<Database>, userId: string): Promise<number> {
  const id = idOf(userId);
  if (id === undefined) return 0;
  const row = await db
    .selectFrom('conversation_members')
    .select((eb) => eb.fn.sum<number | string | null>('unread_count').as('n'))
    .where('user_id', '=', id)
    .where('unread_count', '>', 0)
    .executeTakeFirstOrThrow();
  return Number(row.n ?? 0);
}
