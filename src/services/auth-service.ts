import { randomUUID } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import type { User } from '../domain/types.js';
import type { LoginInput, RegisterInput } from '../protocol/inputs.js';
import type { Store } from '../store/store.js';
import type { Clock, PasswordHasher, TokenIssuer } from './ports.js';
import type { UserService } from './user-service.js';

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
    },
  ) {}

  async register(input: RegisterInput): Promise<AuthResult> {
    const { store, users, tokens, passwords, clock } = this.deps;
    const user = await store.createUser({
      name: input.name,
      username: input.username,
      email: input.email,
      role: input.role ?? 'customer',
      passwordHash: await passwords.hash(input.password),
      createdAt: clock.now(),
    });
    users.remember(user);
    return { token: await tokens.issue(user.id), user };
  }

  async login(input: LoginInput): Promise<AuthResult> {
    const { store, tokens, passwords } = this.deps;
    const found = await store.findCredentials({ email: input.email, username: input.username });
    // Verify against a dummy hash when the user is unknown, so timing does not reveal who exists.
    const hash = found?.passwordHash ?? (await this.dummy());
    const ok = await passwords.verify(hash, input.password);
    if (!found || !ok) throw new AppError('INVALID_CREDENTIALS');
    return { token: await tokens.issue(found.user.id), user: found.user };
  }

  /**
   * The user a bearer token names. Accepts the raw token or `Bearer <token>`.
   * Throws `NO_TOKEN`, `INVALID_TOKEN` or `TOKEN_USER_NOT_FOUND` with the spec's messages.
   */
  async authenticate(token: unknown): Promise<User> {
    if (token === undefined || token === null || token === '') throw new AppError('NO_TOKEN');
    if (typeof token !== 'string') throw new AppError('INVALID_TOKEN');
    const raw = token.replace(/^Bearer\s+/i, '').trim();
    if (raw === '') throw new AppError('NO_TOKEN');
    const userId = await this.deps.tokens.verify(raw);
    const user = await this.deps.users.get(userId);
    if (!user) throw new AppError('TOKEN_USER_NOT_FOUND');
    return user;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.deps.passwords.hash(randomUUID());
    return this.dummyHash;
  }
}
