import { sql, type Kysely } from 'kysely';
import type { ConversationMember } from '../domain/types.js';
import { idOf, type Database } from './schema.js';

/** Who is in a conversation, and who shares one with a user. */

/**
 * The users who share a conversation with the user, once each: every member of their groups, and the
 * other member of each direct conversation written in. One pass over the user's member rows (the inbox
 * index) and, per conversation, its member rows (the primary key): O(sum of their groups' sizes).
 */
export async function contactsOf(db: Kysely<Database>, userId: string): Promise<string[]> {
  const id = idOf(userId);
  if (id === undefined) return [];
  const rows = await db
    .selectFrom('conversation_members as mine')
    .innerJoin('conversation_members as theirs', 'theirs.conversation_id', 'mine.conversation_id')
    .innerJoin('conversations as c', 'c.id', 'mine.conversation_id')
    .select('theirs.user_id')
    .distinct()
    .where('mine.user_id', '=', id)
    // A direct conversation opened but never written in: not (yet) a contact, so opening reveals nobody's
    // presence. A group's members are contacts from the moment they share it.
    .where((eb) => eb.or([eb('mine.last_message_id', '>', 0), eb('c.type', '=', 'group')]))
    .where('theirs.user_id', '<>', id)
    .execute();
  return rows.map((r) => String(r.user_id));
}

/** A page of a conversation's members in joining order, after `after` (the last of the previous page). */
export async function membersPage(
  db: Kysely<Database>,
  conversationId: string,
  page: { limit: number; after?: { joinedAt: number; userId: string } },
): Promise<ConversationMember[]> {
  const id = idOf(conversationId);
  if (id === undefined) return [];
  let query = db
    .selectFrom('conversation_members as cm')
    .innerJoin('users as u', 'u.id', 'cm.user_id')
    .select(['cm.user_id', 'cm.role', 'cm.joined_at', 'u.name', 'u.username'])
    .where('cm.conversation_id', '=', id);
  const { after } = page;
  const afterUser = after && idOf(after.userId);
  if (after && afterUser !== undefined) {
    query = query.where(sql<boolean>`(cm.joined_at, cm.user_id) > (${after.joinedAt}, ${afterUser})`);
  }
  const rows = await query.orderBy('cm.joined_at').orderBy('cm.user_id').limit(page.limit).execute();
  return rows.map((m) => ({
    userId: String(m.user_id),
    name: m.name,
    username: m.username,
    role: m.role,
    joinedAt: new Date(Number(m.joined_at)),
  }));
}
