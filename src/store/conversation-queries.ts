import { sql, type Kysely, type Selectable } from 'kysely';
import type { ConversationMember, ConversationView, InboxPosition, ReadState } from '../domain/types.js';
import { toMessage } from './rows.js';
import { idOf, type ConversationMembersTable, type ConversationsTable, type Database } from './schema.js';

/** How many members a conversation payload carries; the rest are paged. */
export const MEMBERS_IN_PAYLOAD = 100;

type MemberRow = Selectable<ConversationMembersTable>;
type ViewRow = MemberRow & Omit<Selectable<ConversationsTable>, 'id'>;

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

export const viewColumns = [
  'cm.conversation_id',
  'cm.user_id',
  'cm.role',
  'cm.joined_at',
  'cm.last_read_message_id',
  'cm.last_read_at',
  'cm.unread_count',
  'cm.last_message_id',
  'cm.last_activity_at',
  'c.type',
  'c.title',
  'c.direct_low',
  'c.direct_high',
  'c.created_by',
  'c.created_at',
  'c.member_count',
] as const;

const viewerRows = (db: Kysely<Database>, userId: number) =>
  db
    .selectFrom('conversation_members as cm')
    .innerJoin('conversations as c', 'c.id', 'cm.conversation_id')
    .select(viewColumns)
    .where('cm.user_id', '=', userId);

/** The conversation as `viewerId` sees it; undefined when there is none or they are not a member. */
export async function conversationFor(
  db: Kysely<Database>,
  conversationId: string,
  viewerId: string,
): Promise<ConversationView | undefined> {
  const id = idOf(conversationId);
  const viewer = idOf(viewerId);
  if (id === undefined || viewer === undefined) return undefined;
  const row = await viewerRows(db, viewer).where('cm.conversation_id', '=', id).executeTakeFirst();
  return row && (await views(db, [row]))[0];
}

/** A page of the user's conversations, newest activity first, after `position` when given. */
export async function inbox(
  db: Kysely<Database>,
  userId: string,
  page: { limit: number; after?: InboxPosition },
): Promise<ConversationView[]> {
  const viewer = idOf(userId);
  if (viewer === undefined) return [];
  // A direct conversation nobody has written in yet is listed only for whoever opened it: opening one
  // puts nothing into the other user's inbox.
  let query = viewerRows(db, viewer).where((eb) =>
    eb.or([eb('cm.last_message_id', '>', 0), eb('c.type', '=', 'group'), eb('c.created_by', '=', viewer)]),
  );
  const { after } = page;
  const afterId = after && idOf(after.conversationId);
  if (after && afterId !== undefined) {
    // A row value, so the engine seeks the index to the position instead of filtering from the top.
    query = query.where(
      sql<boolean>`(cm.last_activity_at, cm.conversation_id) < (${after.lastActivityAt}, ${afterId})`,
    );
  }
  const rows = await query
    .orderBy('cm.last_activity_at', 'desc')
    .orderBy('cm.conversation_id', 'desc')
    .limit(page.limit)
    .execute();
  return views(db, rows);
}

/** Member rows → views: members (first 100 by joining time) and last messages read in two queries. */
async function views(db: Kysely<Database>, rows: ViewRow[]): Promise<ConversationView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => Number(r.conversation_id));
  const lastIds = rows.map((r) => Number(r.last_message_id)).filter((id) => id > 0);
  const [members, lasts] = await Promise.all([
    sql<{
      conversation_id: number;
      user_id: number;
      role: string;
      joined_at: number;
      name: string;
      username: string;
    }>`
      select conversation_id, user_id, role, joined_at, name, username from (
        select cm.conversation_id, cm.user_id, cm.role, cm.joined_at, u.name, u.username,
          row_number() over (partition by cm.conversation_id order by cm.joined_at, cm.user_id) as n
        from conversation_members cm join users u on u.id = cm.user_id
        where cm.conversation_id in (${sql.join(ids)})) ranked
      where n <= ${MEMBERS_IN_PAYLOAD}
      order by conversation_id, n`.execute(db),
    lastIds.length === 0
      ? Promise.resolve([])
      : db.selectFrom('messages').selectAll().where('id', 'in', lastIds).execute(),
  ]);
  const byConversation = new Map<number, ConversationMember[]>();
  for (const m of members.rows) {
    const list = byConversation.get(Number(m.conversation_id)) ?? [];
    list.push({
      userId: String(m.user_id),
      name: m.name,
      username: m.username,
      role: m.role as ConversationMember['role'],
      joinedAt: new Date(Number(m.joined_at)),
    });
    byConversation.set(Number(m.conversation_id), list);
  }
  const lastById = new Map(lasts.map((m) => [Number(m.id), toMessage(m)]));
  return rows.map((r) => ({
    id: String(r.conversation_id),
    type: r.type,
    title: r.title,
    createdAt: new Date(Number(r.created_at)),
    memberCount: Number(r.member_count),
    members: byConversation.get(Number(r.conversation_id)) ?? [],
    lastMessage: lastById.get(Number(r.last_message_id)) ?? null,
    lastActivityAt: new Date(Number(r.last_activity_at)),
    viewer: readStateOf(r),
  }));
}

export const readStateOf = (r: MemberRow): ReadState => ({
  conversationId: String(r.conversation_id),
  userId: String(r.user_id),
  lastReadMessageId: Number(r.last_read_message_id) > 0 ? String(r.last_read_message_id) : null,
  lastReadAt: r.last_read_at === null ? null : new Date(Number(r.last_read_at)),
  unreadCount: Number(r.unread_count),
});

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
