import { sql, type Kysely } from 'kysely';
import type { User } from '../domain/types.js';
import { likePattern, toUser, userColumns } from './rows.js';
import { idOf, type Database } from './schema.js';
import type { UserSearch } from './store.js';

/**
 * `Store.searchUsers` for the Kysely store: a case-insensitive part of the name or username (never the
 * email), ordered by `lower(name), id` — the order of the `users_name_lower_id` index, so a page is read
 * from the index instead of sorting the table.
 */
export async function searchUsers(
  db: Kysely<Database>,
  search: UserSearch,
): Promise<{ users: User[]; total: number }> {
  let base = db.selectFrom('users');
  const exclude = search.excludeId === undefined ? undefined : idOf(search.excludeId);
  if (exclude !== undefined) base = base.where('id', '!=', exclude);
  if (search.query) {
    const pattern = likePattern(search.query);
    base = base.where((eb) =>
      eb.or([
        eb(sql`lower(name)`, 'like', sql`${pattern} escape '\\'`),
        eb(sql`lower(username)`, 'like', sql`${pattern} escape '\\'`),
      ]),
    );
  }
  const [rows, count] = await Promise.all([
    base
      .select(userColumns)
      .orderBy(sql`lower(name)`)
      .orderBy('id')
      .limit(search.limit)
      .offset(search.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { users: rows.map(toUser), total: Number(count.n) };
}
