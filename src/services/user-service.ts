import { LRUCache } from 'lru-cache';
import { AppError, type ErrorCode } from '../domain/errors.js';
import type { User } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { RateLimiter } from './ports.js';

/**
 * How deep the directory can be paged (`page * limit`): an offset scan costs the rows it skips, so deeper
 * pages are refused; a longer list is narrowed with `q` instead.
 */
export const MAX_SEARCH_DEPTH = 1000;

/** A directory search: `q` filters by name or username; `page` 1 and `limit` 20 by default. */
export interface UserSearch {
  q?: string | undefined;
  page?: number | undefined;
  limit?: number | undefined;
}

/**
 * Reads users, with a cache of profiles: names, usernames and roles never change once registered, so
 * the message path resolves names without touching storage. `lastSeen` in a cached profile may lag; read
 * `fresh` where it matters.
 */
export class UserService {
  private readonly cache: LRUCache<string, User>;

  constructor(
    private readonly store: Store,
    cacheSize = 50_000,
    /** Counts searches against the `query` limit; none when absent (the CLI). */
    private readonly limits?: RateLimiter,
  ) {
    this.cache = new LRUCache({ max: cacheSize });
  }

  async get(id: string): Promise<User | undefined> {
    const cached = this.cache.get(id);
    if (cached) return cached;
    const user = await this.store.findUserById(id);
    if (user) this.cache.set(id, user);
    return user;
  }

  async require(id: string, code: ErrorCode = 'USER_NOT_FOUND'): Promise<User> {
    const user = await this.get(id);
    if (!user) throw new AppError(code);
    return user;
  }

  /**
   * The stored user or undefined, bypassing the cache; a user gone from storage leaves the cache too.
   * While storage is unreachable, a cached user is answered instead (so reconnects keep working).
   */
  async current(id: string): Promise<User | undefined> {
    let user: User | undefined;
    try {
      user = await this.store.findUserById(id);
    } catch (err) {
      const cached = this.cache.get(id);
      if (cached) return cached;
      throw err;
    }
    if (user) this.cache.set(id, user);
    else this.cache.delete(id);
    return user;
  }

  /** The stored user, bypassing the cache (for `lastSeen`). */
  async fresh(id: string): Promise<User> {
    const user = await this.store.findUserById(id);
    if (!user) throw new AppError('USER_NOT_FOUND');
    this.cache.set(id, user);
    return user;
  }

  remember(user: User): void {
    this.cache.set(user.id, user);
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  /** The user an administrator names: by id, else by username (any case); undefined when none. */
  async find(idOrUsername: string): Promise<User | undefined> {
    const byId = /^\d+$/.test(idOrUsername) ? await this.store.findUserById(idOrUsername) : undefined;
    return byId ?? (await this.store.findCredentials({ username: idOrUsername }))?.user;
  }

  /**
   * Disables the user (they cannot log in; their tokens are refused, their open sockets closed by the
   * session re-check) or enables them again. Throws `USER_NOT_FOUND` for an unknown id.
   */
  async setDisabled(id: string, disabled: boolean, at: Date): Promise<User> {
    const user = await this.store.setUserDisabled(id, disabled ? at : null);
    if (!user) throw new AppError('USER_NOT_FOUND');
    this.cache.set(id, user);
    return user;
  }

  /** Deletes the user with their messages (both directions). Throws `USER_NOT_FOUND` for an unknown id. */
  async remove(id: string): Promise<void> {
    if (!(await this.store.deleteUser(id))) throw new AppError('USER_NOT_FOUND');
    this.cache.delete(id);
  }

  async setLastSeen(id: string, at: Date): Promise<void> {
    await this.store.setLastSeen(id, at);
    const cached = this.cache.get(id);
    if (cached) this.cache.set(id, { ...cached, lastSeen: at });
  }

  /** The directory: everyone but the viewer, filtered by `q`, ordered by name. */
  async search(
    viewer: User,
    query: UserSearch,
  ): Promise<{
    users: User[];
    pagination: { page: number; limit: number; total: number; hasMore: boolean };
  }> {
    const page = query.page ?? 1;
    const limit = query.limit ?? 20;
    if (page * limit > MAX_SEARCH_DEPTH) {
      throw new AppError(
        'VALIDATION',
        `page * limit must be at most ${MAX_SEARCH_DEPTH}; narrow the search with q`,
      );
    }
    await this.limits?.consume('query', viewer.id);
    const offset = (page - 1) * limit;
    const { users, total } = await this.store.searchUsers({
      query: query.q,
      excludeId: viewer.id,
      offset,
      limit,
    });
    return {
      users,
      // `hasMore`: a next page exists that may be asked for (not past the depth cap).
      pagination: {
        page,
        limit,
        total,
        hasMore: offset + users.length < total && (page + 1) * limit <= MAX_SEARCH_DEPTH,
      },
    };
  }
}
