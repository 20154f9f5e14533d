import type { Kysely } from 'kysely';
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

export async function deleteUser(db: Kysely<Database>, userId: string): Promise<boolean> {
  const id = idOf(userId);
  if (id === undefined) return false;
  return db.transaction().execute(async (tx) => {
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
