import { sql, type Kysely, type Selectable } from 'kysely';
import type {
  ConversationMember,
  ConversationView,
  InboxPosition,
  Message,
  ReadState,
} from '../domain/types.js';
import type { StoreDialect } from './dialect.js';
import { toMessage } from './rows.js';
import { idOf, type ConversationMembersTable, type ConversationsTable, type Database } from './schema.js';

/** Conversations as one of their members sees them: one, or a page of the inbox. */

/** How many members a conversation payload carries; the rest are paged. */
export const MEMBERS_IN_PAYLOAD = 100;

type MemberRow = Selectable<ConversationMembersTable>;
type ViewRow = MemberRow & Omit<Selectable<ConversationsTable>, 'id'>;

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

type MemberJson = { user_id: number; role: string; joined_at: number; name: string; username: string };

/**
 * The page's members (first 100 by joining time) and last message as JSON columns of its own rows, where
 * the engine aggregates JSON (`StoreDialect.embedsViews`): one statement, one round trip and one plan
 * instead of three.
 */
const withEmbedded = (query: ReturnType<typeof viewerRows>) =>
  query.select([
    sql<Selectable<Database['messages']> | null>`(select row_to_json(m) from messages m
      where m.id = cm.last_message_id)`.as('last_message_json'),
    sql<MemberJson[]>`(select coalesce(json_agg(x), '[]'::json) from (
      select o.user_id, o.role, o.joined_at, u.name, u.username
      from conversation_members o join users u on u.id = o.user_id
      where o.conversation_id = cm.conversation_id
      order by o.joined_at, o.user_id limit ${MEMBERS_IN_PAYLOAD}) x)`.as('members_json'),
  ]);

/** Rows of `viewerRows` → views, in one statement where the dialect embeds, else in three. */
async function viewsOf(
  db: Kysely<Database>,
  dialect: StoreDialect,
  query: ReturnType<typeof viewerRows>,
): Promise<ConversationView[]> {
  if (!dialect.embedsViews) return views(db, await query.execute());
  const rows = await withEmbedded(query).execute();
  return rows.map((r) =>
    toView(
      r,
      r.members_json.map(toMember),
      r.last_message_json === null ? null : toMessage(r.last_message_json),
    ),
  );
}

const toMember = (m: MemberJson): ConversationMember => ({
  userId: String(m.user_id),
  name: m.name,
  username: m.username,
  role: m.role as ConversationMember['role'],
  joinedAt: new Date(Number(m.joined_at)),
});

const toView = (
  r: ViewRow,
  members: ConversationMember[],
  lastMessage: Message | null,
): ConversationView => ({
  id: String(r.conversation_id),
  type: r.type,
  title: r.title,
  createdAt: new Date(Number(r.created_at)),
  memberCount: Number(r.member_count),
  members,
  lastMessage,
  lastActivityAt: new Date(Number(r.last_activity_at)),
  viewer: readStateOf(r),
});

/** The conversation as `viewerId` sees it; undefined when there is none or they are not a member. */
export async function conversationFor(
  db: Kysely<Database>,
  dialect: StoreDialect,
  conversationId: string,
  viewerId: string,
): Promise<ConversationView | undefined> {
  const id = idOf(conversationId);
  const viewer = idOf(viewerId);
  if (id === undefined || viewer === undefined) return undefined;
  return (await viewsOf(db, dialect, viewerRows(db, viewer).where('cm.conversation_id', '=', id)))[0];
}

/** A page of the user's conversations, newest activity first, after `position` when given. */
export async function inbox(
  db: Kysely<Database>,
  dialect: StoreDialect,
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
  return viewsOf(
    db,
    dialect,
    query.orderBy('cm.last_activity_at', 'desc').orderBy('cm.conversation_id', 'desc').limit(page.limit),
  );
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
    list.push(toMember(m));
    byConversation.set(Number(m.conversation_id), list);
  }
  const lastById = new Map(lasts.map((m) => [Number(m.id), toMessage(m)]));
  return rows.map((r) =>
    toView(
      r,
      byConversation.get(Number(r.conversation_id)) ?? [],
      lastById.get(Number(r.last_message_id)) ?? null,
    ),
  );
}

export const readStateOf = (r: MemberRow): ReadState => ({
  conversationId: String(r.conversation_id),
  userId: String(r.user_id),
  lastReadMessageId: Number(r.last_read_message_id) > 0 ? String(r.last_read_message_id) : null,
  lastReadAt: r.last_read_at === null ? null : new Date(Number(r.last_read_at)),
  unreadCount: Number(r.unread_count),
});
