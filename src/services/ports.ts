/** Issues and verifies access tokens. */
export interface TokenIssuer {
  issue(userId: string): Promise<string>;
  /** What a valid token carries; rejects with `AppError('INVALID_TOKEN')` for any other token. */
  verify(token: string): Promise<VerifiedToken>;
}

export interface VerifiedToken {
  userId: string;
  /** When the token stops being valid (ms since the epoch, clock tolerance included); none if it never does. */
  expiresAt?: number;
}

/** One-way password hashing (argon2id). `verify` never throws for a wrong password; it resolves false. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The subset of a pino logger that services use. */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  /** A logger whose lines all carry `bindings` (pino's child loggers). */
  child?(bindings: Record<string, unknown>): Logger;
}

/** What is rate limited, each with its own limit (see `RateLimits` in config). */
export type LimitedAction =
  | 'send'
  | 'typing'
  | 'read'
  | 'loginAccount'
  | 'loginAccountAllIps'
  | 'loginIp'
  | 'registerIp'
  | 'register'
  | 'query'
  | 'groupCreate'
  | 'membership'
  | 'handshakeFailure'
  | 'adminUi'
  | 'adminUiAll';

/**
 * Counts actions per key (a user id, an account and IP, an IP) in fixed windows; an action may have
 * several windows (a per-minute allowance and a short burst window), and a call must fit in all of them.
 * `consume` counts one atomically and rejects with `RateLimitedError` once a window's allowance is used
 * up (a refused call is still counted in the windows it passed); `reward` gives one back (for a call that
 * turned out not to count, such as a successful login); `reset` clears the key's counts. An action
 * without a configured limit is never limited.
 */
export interface RateLimiter {
  consume(action: LimitedAction, key: string): Promise<void>;
  /** Rejects as `consume` would once the allowance is used up, without counting. */
  check(action: LimitedAction, key: string): Promise<void>;
  reward(action: LimitedAction, key: string): Promise<void>;
  reset(action: LimitedAction, key: string): Promise<void>;
}

/** Told how each send ended, for metrics. `stored`: a new message; `duplicate`: a retry answered. */
export interface SendObserver {
  sendFinished(seconds: number, outcome: 'stored' | 'duplicate' | 'refused' | 'failed'): void;
}

/**
 * Library mode: the host application's own token verification and user lookup. Parley keeps a row per
 * host user (created on first sight, profile kept in step) so messages can reference it.
 */
export interface ExternalIdentity {
  /** The host's user id a token names (optionally with its expiry), or null when the token is not valid. */
  verifyToken(token: string): Promise<string | { id: string; expiresAt?: Date | number } | null | undefined>;
  /** The host's user with that id, or null when there is none. */
  findUser(
    id: string,
  ): Promise<{ name: string; username: string; email?: string; role?: string } | null | undefined>;
}
