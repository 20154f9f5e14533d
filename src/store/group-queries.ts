import type { CompiledQuery, Kysely } from 'kysely';
import type { ConversationView, Message, MessageReceipts } from '../domain/types.js';
import { MEMBERS_IN_PAYLOAD } from './conversation-views.js';
import type { Membership } from './group-store.js';
import { membersPage } from './member-queries.js';
import { toMessage } from './rows.js';
import { idOf, type Database } from './schema.js';

/** Group reads for the Kysely store. */

/** The groups a user is a member of (their sockets join these rooms on connect). */
export async function groupIdsOf(db: Kysely<Database>, userId: string): Promise<string[]> {
  const id = idOf(userId);
  if (id === undefined) return [];
  const rows = await db
    .selectFrom('conversation_members as cm')
    .innerJoin('conversations as c', 'c.id', 'cm.conversation_id')
    .select('cm.conversation_id')
    .where('cm.user_id', '=', id)
    .where('c.type', '=', 'group')
    .execute();
  return rows.map((r) => String(r.conversation_id));
}

/**
 * A user's membership row joined to its conversation, by primary keys. Compiled once per database (the
 * parameters are the conversation and user ids, in that order): a send asks this on every message.
 */
const membershipQueries = new WeakMap<Kysely<Database>, CompiledQuery>();

function membershipQuery(db: Kysely<Database>): CompiledQuery {
  let query = membershipQueries.get(db);
  if (!query) {
    query = db
      .selectFrom('conversation_members as cm')
      .innerJoin('conversations as c', 'c.id', 'cm.conversation_id')
      .select(['c.type', 'c.title', 'cm.role'])
      .where('cm.conversation_id', '=', 0)
      .where('cm.user_id', '=', 0)
      .compile();
    membershipQueries.set(db, query);
  }
  return query;
}

/** See `GroupStore.membership`. */
export async function membership(
  db: Kysely<Database>,
  conversationId: string,
  userId: string,
): Promise<Membership | undefined> {
  const conversation = idOf(conversationId);
  const user = idOf(userId);
  if (conversation === undefined || user === undefined) return undefined;
  const { rows } = await db.executeQuery<Pick<Membership, 'type' | 'title' | 'role'>>({
    ...membershipQuery(db),
    parameters: [conversation, user],
  });
  const row = rows[0];
  return row && { conversationId: String(conversation), type: row.type, title: row.title, role: row.role };
}

/** The conversation without a viewer: no cursor, nothing unread; activity is its newest message's. */
export async function neutralView(
  db: Kysely<Database>,
  conversationId: string,
): Promise<ConversationView | undefined> {
  const id = idOf(conversationId);
  if (id === undefined) return undefined;
  const conversation = await db
    .selectFrom('conversations')
    .select(['type', 'title', 'created_at', 'member_count'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!conversation) return undefined;
  const [members, last] = await Promise.all([
    membersPage(db, conversationId, { limit: MEMBERS_IN_PAYLOAD }),
    db
      .selectFrom('messages')
      .selectAll()
      .where('conversation_id', '=', id)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst(),
  ]);
  const lastMessage = last ? toMessage(last) : null;
  const createdAt = new Date(Number(conversation.created_at));
  return {
    id: String(id),
    type: conversation.type,
    title: conversation.title,
    createdAt,
    memberCount: Number(conversation.member_count),
    members,
    lastMessage,
    lastActivityAt: lastMessage?.sentAt ?? createdAt,
    viewer: {
      conversationId: String(id),
      userId: '',
      lastReadMessageId: null,
      lastReadAt: null,
      unreadCount: 0,
    },
  };
}

/**
 * Who has read a message: in a direct conversation the receiver once its read flag is set; in a group
 * every other member who moved their cursor to or past it, with the time their cursor last moved.
 */
export async function receipts(db: Kysely<Database>, message: Message): Promise<MessageReceipts> {
  if (message.receiverId !== null) {
    return {
      messageId: message.id,
      readBy: message.readAt ? [{ userId: message.receiverId, readAt: message.readAt }] : [],
    };
  }
  const rows = await db
    .selectFrom('conversation_members')
    .select(['user_id', 'last_read_at'])
    .where('conversation_id', '=', Number(message.conversationId))
    .where('user_id', '<>', Number(message.senderId))
    .where('last_read_message_id', '>=', Number(message.id))
    // A member added later starts with the cursor at the newest message, unmoved: not a reader until
    // they move it themselves.
    .where('last_read_at', 'is not', null)
    .orderBy('last_read_at')
    .orderBy('user_id')
    .execute();
  return {
    messageId: message.id,
    readBy: rows.map((r) => ({
      userId: String(r.user_id),
      readAt: new Date(Number(r.last_read_at)),
    })),
  };
}
