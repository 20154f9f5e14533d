import type { Kysely } from 'kysely';
import type { User } from '../domain/types.js';
import type { StoreDialect } from './dialect.js';
import { toUser, userColumns } from './rows.js';
import type { Database } from './schema.js';
import type { ExternalUser } from './store.js';

/**
 * `Store.upsertExternalUser` for the Kysely store: the row of a host application's user (library mode),
 * found by its external id, created on first sight, its profile brought in step with the host's.
 */
export async function upsertExternalUser(
  db: Kysely<Database>,
  dialect: StoreDialect,
  user: ExternalUser,
  now: Date,
): Promise<User> {
  const find = () =>
    db.selectFrom('users').select(userColumns).where('external_id', '=', user.externalId).executeTakeFirst();
  let row = await find();
  if (!row) {
    try {
      await db
        .insertInto('users')
        .values({
          name: user.name,
          username: user.username,
          email: user.email,
          role: user.role,
          // No password can match: external users authenticate through the host application only.
          password_hash: '!',
          last_seen: null,
          created_at: now.getTime(),
          external_id: user.externalId,
        })
        .execute();
    } catch (err) {
      // A concurrent first sight of the same user inserted it: read theirs. Anything else (a username
      // or email another user already has) is an error for the host to fix.
      if (!dialect.isUniqueViolation(err) || !(await find())) throw err;
    }
    row = await find();
    if (!row) throw new Error(`external user ${user.externalId} vanished after insert`);
  } else if (
    row.name !== user.name ||
    row.username !== user.username ||
    row.email !== user.email ||
    row.role !== user.role
  ) {
    await db
      .updateTable('users')
      .set({ name: user.name, username: user.username, email: user.email, role: user.role })
      .where('id', '=', row.id)
      .execute();
    row = { ...row, name: user.name, username: user.username, email: user.email, role: user.role };
  }
  return toUser(row);
}
