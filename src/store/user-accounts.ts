import { sql, type Kysely } from 'kysely';
import type { StoreDialect } from './dialect.js';
import { handOver } from './group-writes.js';
import type { User } from '../domain/types.js';
import { toUser, userColumns } from './rows.js';
import { idOf, type Database } from './schema.js';

/**
 * `Store.setUserDisabled` and `Store.deleteUser` for the Kysely store: what an administrator does to an
 * account (see `parley user disable|enable|delete`).
 */

export async function setUserDisabled(
  db: Kysely<Database>,
  userId: string,
  disabledAt: Date | null,
): Promise<User | undefined> {
  const id = idOf(userId);
  if (id === undefined) return undefined;
  let update = db
    .updateTable('users')
    .set({ disabled_at: disabledAt === null ? null : disabledAt.getTime() })
    .where('id', '=', id);
  // Disabling twice keeps the first time.
  if (disabledAt !== null) update = update.where('disabled_at', 'is', null);
  await update.execute();
  const row = await db.selectFrom('users').select(userColumns).where('id', '=', id).executeTakeFirst();
  return row && toUser(row);
}

export async function deleteUser(
  db: Kysely<Database>,
  userId: string,
  orderCommits?: StoreDialect['orderCommits'],
): Promise<boolean> {
  const id = idOf(userId);
  if (id === undefined) return false;
  return db.transaction().execute(async (tx) => {
    // Under the lock message inserts take (PostgreSQL): no batch changes these groups' counters meanwhile.
    await orderCommits?.(tx);
    await leaveGroups(tx, id);
    // Their direct conversations go for both sides, with every message in them; their own messages and
    // memberships elsewhere too.
    const direct = tx
      .selectFrom('conversations')
      .select('id')
      .where((eb) => eb.or([eb('direct_low', '=', id), eb('direct_high', '=', id)]));
    await tx
      .deleteFrom('messages')
      .where((eb) => eb.or([eb('conversation_id', 'in', direct), eb('sender_id', '=', id)]))
      .execute();
    await tx
      .deleteFrom('conversation_members')
      .where((eb) => eb.or([eb('conversation_id', 'in', direct), eb('user_id', '=', id)]))
      .execute();
    await tx
      .deleteFrom('conversations')
      .where((eb) => eb.or([eb('direct_low', '=', id), eb('direct_high', '=', id)]))
      .execute();
    const result = await tx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

/**
 * Before a user's group messages and memberships are deleted: the other members' counters stop counting
 * those messages (unread ones, the newest), each group counts one member less, and a group they owned
 * passes to its longest-standing admin, else its longest-standing member — as if they had left.
 */
async function leaveGroups(tx: Kysely<Database>, id: number): Promise<void> {
  const theirGroups = tx
    .selectFrom('conversation_members as cm')
    .innerJoin('conversations as c', 'c.id', 'cm.conversation_id')
    .select('cm.conversation_id')
    .where('cm.user_id', '=', id)
    .where('c.type', '=', 'group');
  await sql`update conversation_members set
      unread_count = unread_count - (select count(*) from messages m
        where m.conversation_id = conversation_members.conversation_id and m.sender_id = ${id}
          and m.id > conversation_members.last_read_message_id),
      last_message_id = coalesce((select max(m.id) from messages m
        where m.conversation_id = conversation_members.conversation_id and m.sender_id <> ${id}), 0)
    where user_id <> ${id} and conversation_id in (select m.conversation_id from messages m
      join conversations c on c.id = m.conversation_id where m.sender_id = ${id} and c.type = 'group')`.execute(
    tx,
  );
  await tx
    .updateTable('conversations')
    .set((eb) => ({ member_count: eb('member_count', '-', 1) }))
    .where('id', 'in', theirGroups)
    .execute();
  const owned = await tx
    .selectFrom('conversation_members')
    .select('conversation_id')
    .where('user_id', '=', id)
    .where('role', '=', 'owner')
    .execute();
  for (const { conversation_id } of owned) await handOver(tx, conversation_id, id);
}
