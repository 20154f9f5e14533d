import { sql, type Kysely } from 'kysely';
import { AppError, groupFull } from '../domain/errors.js';
import type { MemberRole } from '../domain/types.js';
import type { StoreDialect } from './dialect.js';
import type { MembershipRule, MembershipState, NewGroup } from './group-store.js';
import { newestMessageId } from './read-cursors.js';
import { idOf, type Database } from './schema.js';

/** Group writes for the Kysely store: each one transaction, its rule checked inside it. */

/** Rows per INSERT: well under every engine's cap on bound parameters (9 per member row). */
const CHUNK = 500;

type Tx = Kysely<Database>;

const memberRow = (
  conversationId: number,
  userId: number,
  role: MemberRole,
  now: number,
  newest: number,
) => ({
  conversation_id: conversationId,
  user_id: userId,
  role,
  joined_at: now,
  // Joining reads the group's past: the cursor starts at its newest message, nothing unread.
  last_read_message_id: newest,
  last_read_at: null,
  unread_count: 0,
  last_message_id: newest,
  last_activity_at: now,
});

export async function createGroup(db: Kysely<Database>, dialect: StoreDialect, group: NewGroup) {
  const creator = idOf(group.creatorId);
  const others = group.memberIds.map(idOf);
  if (creator === undefined || others.some((id) => id === undefined)) throw new AppError('UNKNOWN_USER');
  const now = group.now.getTime();
  try {
    return await db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('conversations')
        .values({
          type: 'group',
          title: group.title,
          direct_low: null,
          direct_high: null,
          created_by: creator,
          created_at: now,
          member_count: 1 + others.length,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const id = Number(row.id);
      const rows = [
        memberRow(id, creator, 'owner', now, 0),
        ...others.map((user) => memberRow(id, user as number, 'member', now, 0)),
      ];
      for (let i = 0; i < rows.length; i += CHUNK) {
        await tx
          .insertInto('conversation_members')
          .values(rows.slice(i, i + CHUNK))
          .execute();
      }
      return String(id);
    });
  } catch (err) {
    // A member's foreign key: a user deleted since the caller checked.
    if (dialect.isConstraintViolation(err)) throw new AppError('UNKNOWN_USER');
    throw err;
  }
}

/**
 * Runs `change` in a transaction after reading the group's state and passing it to `rule`. On PostgreSQL
 * the transaction first takes the advisory lock that orders message commits: membership changes and
 * message batches (which update every member row of their conversations) then never interleave, on any
 * process, and two changes of one group apply one after the other.
 */
async function changeGroup<T>(
  db: Kysely<Database>,
  dialect: StoreDialect,
  ids: { conversationId: string; actorId: string; targetId?: string },
  rule: MembershipRule,
  change: (tx: Tx, id: number, state: MembershipState, target: number | undefined) => Promise<T>,
): Promise<T> {
  const id = idOf(ids.conversationId);
  const actor = idOf(ids.actorId);
  if (id === undefined || actor === undefined) throw new AppError('CONVERSATION_NOT_FOUND');
  const target = ids.targetId === undefined ? undefined : idOf(ids.targetId);
  return db.transaction().execute(async (tx) => {
    await dialect.orderCommits?.(tx);
    const conversation = await tx
      .selectFrom('conversations')
      .select(['type', 'member_count'])
      .where('id', '=', id)
      .executeTakeFirst();
    const roles = await tx
      .selectFrom('conversation_members')
      .select(['user_id', 'role'])
      .where('conversation_id', '=', id)
      .where('user_id', 'in', target === undefined ? [actor] : [actor, target])
      .execute();
    const roleOf = (user: number) => roles.find((r) => Number(r.user_id) === user)?.role;
    const actorRole = roleOf(actor);
    if (!conversation || !actorRole) throw new AppError('CONVERSATION_NOT_FOUND');
    const state: MembershipState = {
      type: conversation.type,
      memberCount: Number(conversation.member_count),
      actorRole,
      targetRole: target === undefined ? undefined : roleOf(target),
    };
    rule(state);
    return change(tx, id, state, target);
  });
}

export function renameGroup(
  db: Kysely<Database>,
  dialect: StoreDialect,
  conversationId: string,
  actorId: string,
  title: string,
  rule: MembershipRule,
): Promise<boolean> {
  return changeGroup(db, dialect, { conversationId, actorId }, rule, async (tx, id) => {
    const result = await tx
      .updateTable('conversations')
      .set({ title })
      .where('id', '=', id)
      .where('title', '<>', title)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  });
}

export function addMembers(
  db: Kysely<Database>,
  dialect: StoreDialect,
  conversationId: string,
  actorId: string,
  userIds: readonly string[],
  options: { now: Date; max: number; rule: MembershipRule },
): Promise<string[]> {
  const users = userIds.map(idOf);
  return changeGroup(db, dialect, { conversationId, actorId }, options.rule, async (tx, id) => {
    if (users.some((u) => u === undefined)) throw new AppError('UNKNOWN_USER');
    const newest = await newestMessageId(tx, id);
    const rows = users.map((u) => memberRow(id, u as number, 'member', options.now.getTime(), newest));
    const added = new Set<number>();
    try {
      for (let i = 0; i < rows.length; i += CHUNK) {
        const inserted = await tx
          .insertInto('conversation_members')
          .values(rows.slice(i, i + CHUNK))
          .onConflict((oc) => oc.columns(['conversation_id', 'user_id']).doNothing())
          .returning('user_id')
          .execute();
        for (const r of inserted) added.add(Number(r.user_id));
      }
    } catch (err) {
      if (dialect.isConstraintViolation(err)) throw new AppError('UNKNOWN_USER');
      throw err;
    }
    if (added.size > 0) {
      // Counted from the rows actually inserted, and only while it stays within the limit: concurrent
      // adds (on any process) can never take the group past it.
      const result = await tx
        .updateTable('conversations')
        .set((eb) => ({ member_count: eb('member_count', '+', added.size) }))
        .where('id', '=', id)
        .where(sql<boolean>`member_count + ${added.size} <= ${options.max}`)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) throw groupFull(options.max);
    }
    return users.filter((u) => added.has(u as number)).map(String);
  });
}

export function removeMember(
  db: Kysely<Database>,
  dialect: StoreDialect,
  conversationId: string,
  actorId: string,
  targetId: string,
  rule: MembershipRule,
): Promise<{ removed: boolean; newOwnerId?: string }> {
  return changeGroup(
    db,
    dialect,
    { conversationId, actorId, targetId },
    rule,
    async (tx, id, state, target) => {
      if (target === undefined || state.targetRole === undefined) return { removed: false };
      await tx
        .deleteFrom('conversation_members')
        .where('conversation_id', '=', id)
        .where('user_id', '=', target)
        .execute();
      await tx
        .updateTable('conversations')
        .set((eb) => ({ member_count: eb('member_count', '-', 1) }))
        .where('id', '=', id)
        .execute();
      if (state.targetRole !== 'owner') return { removed: true };
      // The owner left: the longest-standing admin, else the longest-standing member, takes over.
      const newOwner = await handOver(tx, id, target);
      return newOwner === undefined ? { removed: true } : { removed: true, newOwnerId: String(newOwner) };
    },
  );
}

export function setMemberRole(
  db: Kysely<Database>,
  dialect: StoreDialect,
  conversationId: string,
  actorId: string,
  targetId: string,
  role: MemberRole,
  rule: MembershipRule,
): Promise<string[]> {
  return changeGroup(
    db,
    dialect,
    { conversationId, actorId, targetId },
    rule,
    async (tx, id, state, target) => {
      if (target === undefined || state.targetRole === undefined || state.targetRole === role) return [];
      const setRole = (user: number, to: MemberRole) =>
        tx
          .updateTable('conversation_members')
          .set({ role: to })
          .where('conversation_id', '=', id)
          .where('user_id', '=', user)
          .execute();
      await setRole(target, role);
      if (role !== 'owner') return [String(target)];
      // Handing ownership over: the old owner stays, as an admin.
      const actor = idOf(actorId) as number;
      await setRole(actor, 'admin');
      return [String(target), String(actor)];
    },
  );
}

/**
 * Ownership passes from `leavingId` to the longest-standing admin, else the longest-standing member (the
 * smaller id on a tie). Resolves the new owner, or undefined when nobody else is left.
 */
export async function handOver(
  tx: Kysely<Database>,
  conversationId: number,
  leavingId: number,
): Promise<number | undefined> {
  const successor = await tx
    .selectFrom('conversation_members')
    .select('user_id')
    .where('conversation_id', '=', conversationId)
    .where('user_id', '<>', leavingId)
    .orderBy(sql`case when role = 'admin' then 0 else 1 end`)
    .orderBy('joined_at')
    .orderBy('user_id')
    .limit(1)
    .executeTakeFirst();
  if (!successor) return undefined;
  await tx
    .updateTable('conversation_members')
    .set({ role: 'owner' })
    .where('conversation_id', '=', conversationId)
    .where('user_id', '=', successor.user_id)
    .execute();
  return successor.user_id;
}
