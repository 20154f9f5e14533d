/**
 * Stable error codes. Services throw `AppError`; each transport maps the code to its wire form
 * (HTTP status + `{message}`, or the socket `error` event) through one table.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'NO_TOKEN'
  | 'INVALID_TOKEN'
  | 'TOKEN_USER_NOT_FOUND'
  | 'TOKEN_EXPIRED'
  | 'INVALID_CREDENTIALS'
  | 'USERNAME_TAKEN'
  | 'EMAIL_TAKEN'
  | 'RECEIVER_NOT_FOUND'
  | 'USER_NOT_FOUND'
  | 'MESSAGE_NOT_FOUND'
  | 'CONVERSATION_NOT_FOUND'
  | 'ACCESS_DENIED'
  | 'UNKNOWN_USER'
  | 'GROUP_FULL'
  | 'DIRECT_MEMBERSHIP'
  | 'SEND_FAILED'
  | 'SEND_REJECTED'
  | 'DUPLICATE_MESSAGE'
  | 'UNAVAILABLE'
  | 'RATE_LIMITED'
  | 'NOT_FOUND'
  | 'INTERNAL';

/** The wire messages; those of the realtime spec are spelled exactly as there. */
export const defaultMessages: Record<ErrorCode, string> = {
  VALIDATION: 'Invalid input',
  NO_TOKEN: 'Authentication error: No token provided',
  INVALID_TOKEN: 'Authentication error: Invalid token',
  TOKEN_USER_NOT_FOUND: 'Authentication error: User not found',
  TOKEN_EXPIRED: 'Authentication error: Token expired',
  INVALID_CREDENTIALS: 'Invalid credentials',
  USERNAME_TAKEN: 'Username already taken',
  EMAIL_TAKEN: 'Email already registered',
  RECEIVER_NOT_FOUND: 'Receiver not found',
  USER_NOT_FOUND: 'User not found',
  MESSAGE_NOT_FOUND: 'Message not found',
  CONVERSATION_NOT_FOUND: 'Conversation not found',
  ACCESS_DENIED: 'Access denied',
  /** Always thrown with the id: `Unknown user: <id>`. */
  UNKNOWN_USER: 'Unknown user',
  /** Always thrown with the limit: `Group is full: at most <N> members`. */
  GROUP_FULL: 'Group is full',
  DIRECT_MEMBERSHIP: 'Direct conversations have exactly two members',
  SEND_FAILED: 'Failed to send message',
  SEND_REJECTED: 'Message rejected',
  DUPLICATE_MESSAGE: 'Message already sent',
  UNAVAILABLE: 'Service unavailable',
  RATE_LIMITED: 'Too many requests',
  NOT_FOUND: 'Route not found',
  INTERNAL: 'Internal server error',
};

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = defaultMessages[code],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

/** A rate limit was reached; `retryAfterMs` says when the next attempt can succeed. */
export class RateLimitedError extends AppError {
  constructor(
    what: string,
    readonly retryAfterMs: number,
  ) {
    super('RATE_LIMITED', `Too many ${what}: try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s`);
  }
}

/** `Unknown user: <id>`: a user id that names nobody (or, for a role change, no member of the group). */
export const unknownUser = (id: string): AppError => new AppError('UNKNOWN_USER', `Unknown user: ${id}`);

/** `Group is full: at most <N> members`. */
export const groupFull = (max: number): AppError =>
  new AppError('GROUP_FULL', `Group is full: at most ${max} members`);
