import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { User } from '../domain/types.js';
import type { Store } from '../store/store.js';
import { createHash } from 'node:crypto';
import type {
  Clock,
  ExternalIdentity,
  LimitedAction,
  PasswordHasher,
  RateLimiter,
  TokenIssuer,
} from './ports.js';
import { revokedUsers } from './session-check.js';
import type { UserService } from './user-service.js';

/** A public registration; the fields already validated and normalised (email lower-cased). */
export interface Registration {
  name: string;
  username: string;
  email: string;
  password: string;
  /** Kept only when the deployment lets users choose it (`registrationRoles`). */
  role?: string | undefined;
}

/** A login: by email or by username (at least one), with the password. */
export interface Credentials {
  email?: string | undefined;
  username?: string | undefined;
  password: string;
}

export interface AuthResult {
  token: string;
  user: User;
}

/**
 * Registration, login and token authentication — the one place that decides who a request is.
 *
 * @example const { token } = await auth.register({ name: 'Ada', username: 'ada', email: 'a@x.io', password: '…' });
 *          const user = await auth.authenticate(token);
 */
export class AuthService {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly deps: {
      store: Store;
      users: UserService;
      tokens: TokenIssuer;
      passwords: PasswordHasher;
      clock: Clock;
      limits: RateLimiter;
      /** When set, tokens are the host application's, checked by it (library mode). */
      identity?: ExternalIdentity;
      /**
       * Roles a user may give themselves at public registration (`*`: any). Another role is ignored and
       * the user is a `customer`; an administrator sets any role (`parley user create --role`).
       */
      registrationRoles?: readonly string[];
    },
  ) {}

  /**
   * Attempts are counted per client IP and across all clients before anything else (a refused one is
   * `RATE_LIMITED`). Taken usernames and emails are answered before the password is hashed; the unique
   * indexes still decide between concurrent registrations.
   */
  async register(input: Registration, client: { ip?: string } = {}): Promise<AuthResult> {
    const { store, users, tokens, passwords, clock } = this.deps;
    await this.consumeAll([
      ['registerIp', client.ip ?? 'unknown'],
      ['register', 'all'],
    ]);
    if (await store.findCredentials({ username: input.username })) throw new AppError('USERNAME_TAKEN');
    if (await store.findCredentials({ email: input.email })) throw new AppError('EMAIL_TAKEN');
    const user = await store.createUser({
      name: input.name,
      username: input.username,
      email: input.email,
      role: this.registrationRole(input.role),
      passwordHash: await passwords.hash(input.password),
      createdAt: clock.now(),
    });
    users.remember(user);
    return { token: await tokens.issue(user.id), user };
  }

  /**
   * Each attempt is counted before the password is checked — per account and client IP, per account from
   * any IP, and per IP — atomically, so concurrent attempts cannot all pass a check made before any of
   * them was counted. Past any limit, logins are refused with `RATE_LIMITED` (even with the right
   * password) until the window ends. A success gives its points back and clears the account's count for
   * that IP, so only failures add up.
   */
  async login(input: Credentials, client: { ip?: string } = {}): Promise<AuthResult> {
    const { store, tokens, passwords, limits } = this.deps;
    const ip = client.ip ?? 'unknown';
    const found = await store.findCredentials({ email: input.email, username: input.username });
    // Keyed by the account, however it is named (email or username, any case).
    const account = found ? found.user.id : `?${input.email ?? input.username?.toLowerCase()}`;
    const counted: Array<[LimitedAction, string]> = [
      ['loginAccount', `${account}|${ip}`],
      ['loginAccountAllIps', account],
      ['loginIp', ip],
    ];
    await this.consumeAll(counted);
    let ok: boolean;
    try {
      // Verify against a dummy hash when the user is unknown, so timing does not reveal who exists.
      ok = await passwords.verify(found?.passwordHash ?? (await this.dummy()), input.password);
    } catch (err) {
      // Not checked (too many checks under way): the attempt does not count.
      await this.giveBack(counted);
      throw err;
    }
    // A disabled account is refused like a wrong password: the answer tells nobody it exists.
    if (!found || !ok || found.user.disabledAt) throw new AppError('INVALID_CREDENTIALS');
    await Promise.all([
      limits.reset('loginAccount', `${account}|${ip}`),
      limits.reward('loginAccountAllIps', account),
      limits.reward('loginIp', ip),
    ]);
    return { token: await tokens.issue(found.user.id), user: found.user };
  }

  /**
   * The user a bearer token names. Accepts the raw token or `Bearer <token>`.
   * Throws `NO_TOKEN`, `INVALID_TOKEN` or `TOKEN_USER_NOT_FOUND` with the spec's messages.
   */
  async authenticate(token: unknown): Promise<User> {
    return (await this.session(token)).user;
  }

  /**
   * `authenticate` plus when the token expires, for connections that outlive a request. The user is read
   * from storage, not the cache, so a deleted user's token stops working at once.
   */
  async session(token: unknown): Promise<{ user: User; expiresAt?: number }> {
    if (token === undefined || token === null || token === '') throw new AppError('NO_TOKEN');
    if (typeof token !== 'string') throw new AppError('INVALID_TOKEN');
    const raw = token.replace(/^Bearer\s+/i, '').trim();
    if (raw === '') throw new AppError('NO_TOKEN');
    if (this.deps.identity) return this.externalSession(this.deps.identity, raw);
    const { userId, expiresAt } = await this.deps.tokens.verify(raw);
    const user = await this.deps.users.current(userId);
    // A disabled user is refused as one that does not exist (the spec's message; it reveals nothing).
    if (!user || user.disabledAt) throw new AppError('TOKEN_USER_NOT_FOUND');
    return expiresAt === undefined ? { user } : { user, expiresAt };
  }

  /** The host verifies the token and describes the user; Parley keeps its row in step. */
  private async externalSession(identity: ExternalIdentity, raw: string) {
    let verified: Awaited<ReturnType<ExternalIdentity['verifyToken']>>;
    try {
      verified = await identity.verifyToken(raw);
    } catch {
      throw new AppError('INVALID_TOKEN');
    }
    if (!verified) throw new AppError('INVALID_TOKEN');
    const externalId = typeof verified === 'string' ? verified : verified.id;
    if (typeof externalId !== 'string' || externalId === '') throw new AppError('INVALID_TOKEN');
    const profile = await identity.findUser(externalId);
    if (!profile) throw new AppError('TOKEN_USER_NOT_FOUND');
    const user = await this.deps.store.upsertExternalUser(
      {
        externalId,
        name: profile.name,
        username: profile.username,
        // Emails are unique in Parley; a host user without one gets a stable placeholder.
        email:
          profile.email?.toLowerCase() ??
          `${createHash('sha256').update(externalId).digest('hex').slice(0, 24)}@external.invalid`,
        role: profile.role ?? 'customer',
      },
      this.deps.clock.now(),
    );
    if (user.disabledAt) throw new AppError('TOKEN_USER_NOT_FOUND');
    this.deps.users.remember(user);
    const expiry = typeof verified === 'string' ? undefined : verified.expiresAt;
    return expiry === undefined ? { user } : { user, expiresAt: Number(expiry) };
  }

  /**
   * Counts one attempt in each limit, in order; when one refuses, the points already taken are given
   * back, so an attempt refused by a limit counts in none (only attempts that get checked add up).
   */
  private async consumeAll(counted: Array<[LimitedAction, string]>): Promise<void> {
    const { limits } = this.deps;
    for (const [i, [action, key]] of counted.entries()) {
      try {
        await limits.consume(action, key);
      } catch (err) {
        await this.giveBack(counted.slice(0, i));
        throw err;
      }
    }
  }

  private async giveBack(counted: Array<[LimitedAction, string]>): Promise<void> {
    await Promise.all(counted.map(([action, key]) => this.deps.limits.reward(action, key)));
  }

  /** A self-chosen role is kept only when the deployment lists it; otherwise the user is a `customer`. */
  private registrationRole(role: string | undefined): string {
    const allowed = this.deps.registrationRoles ?? [];
    return role !== undefined && (allowed.includes('*') || allowed.includes(role)) ? role : 'customer';
  }

  /**
   * Which of these users — holders of open connections — may no longer hold a session: deleted or
   * disabled in storage or, with a host identity, unknown to the host now. One batched storage read.
   * A failing host lookup keeps its user (`onError` is told); a storage failure rejects.
   */
  async revokedUsers(
    users: readonly User[],
    onError?: (err: unknown, userId: string) => void,
  ): Promise<string[]> {
    const revoked = await revokedUsers(this.deps, users, onError);
    for (const id of revoked) this.deps.users.forget(id);
    return revoked;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.deps.passwords.hash(randomUUID()).catch((err: unknown) => {
      this.dummyHash = undefined; // not kept when it failed (busy): the next login makes it again
      throw err;
    });
    return this.dummyHash;
  }
}
