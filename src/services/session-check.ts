import type { User } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { ExternalIdentity } from './ports.js';

/** Host lookups running at once during one check, and how long one may take before it counts as failed. */
const HOST_CONCURRENCY = 8;
const HOST_TIMEOUT_MS = 10_000;

/**
 * The ids among `users` that may no longer hold a session: gone from storage or disabled and, with a
 * host identity (library mode), no longer known to the host's `findUser`. Storage is read once for all
 * of them (the store chunks the ids); the host is asked per user, a few at a time. A host lookup that
 * fails or hangs keeps its user (`onError` is told); a storage failure rejects, so an outage of either
 * disconnects nobody.
 */
export async function revokedUsers(
  deps: { store: Store; identity?: ExternalIdentity },
  users: readonly User[],
  onError: (err: unknown, userId: string) => void = () => {},
): Promise<string[]> {
  const ids = [...new Set(users.map((u) => u.id))];
  if (ids.length === 0) return [];
  const stored = new Map((await deps.store.findUsersByIds(ids)).map((u) => [u.id, u]));
  const revoked = new Set(ids.filter((id) => !stored.get(id) || stored.get(id)?.disabledAt));
  const { identity } = deps;
  if (identity) {
    const hosted = [...stored.values()].filter((u) => !revoked.has(u.id) && u.externalId !== undefined);
    await eachLimited(hosted, HOST_CONCURRENCY, async (user) => {
      try {
        const profile = await withTimeout(identity.findUser(user.externalId as string), HOST_TIMEOUT_MS);
        if (!profile) revoked.add(user.id);
      } catch (err) {
        onError(err, user.id);
      }
    });
  }
  return [...revoked];
}

/** Runs `task` on every item, at most `limit` at a time; `task` must not reject. */
async function eachLimited<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
