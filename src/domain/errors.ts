/**
 * Stable error codes. Services throw `AppError`; each transport maps the code to its wire form
 * (HTTP status + `{message}`, or the socket `error` event) through one table.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'NO_TOKEN'
  | 'INVALID_TOKEN'
  | 'TOKEN_USER_NOT_FOUND'
  | 'INVALID_CREDENTIALS'
  | 'USERNAME_TAKEN'
  | 'EMAIL_TAKEN'
  | 'RECEIVER_NOT_FOUND'
  | 'USER_NOT_FOUND'
  | 'MESSAGE_NOT_FOUND'
  | 'ACCESS_DENIED'
  | 'SEND_FAILED'
  | 'DUPLICATE_MESSAGE'
  | 'UNAVAILABLE'
  | 'NOT_FOUND'
  | 'INTERNAL';

/** The wire messages; those of the realtime spec are spelled exactly as there. */
export const defaultMessages: Record<ErrorCode, string> = {
  VALIDATION: 'Invalid input',
  NO_TOKEN: 'Authentication error: No token provided',
  INVALID_TOKEN: 'Authentication error: Invalid token',
  TOKEN_USER_NOT_FOUND: 'Authentication error: User not found',
  INVALID_CREDENTIALS: 'Invalid credentials',
  USERNAME_TAKEN: 'Username already taken',
  EMAIL_TAKEN: 'Email already registered',
  RECEIVER_NOT_FOUND: 'Receiver not found',
  USER_NOT_FOUND: 'User not found',
  MESSAGE_NOT_FOUND: 'Message not found',
  ACCESS_DENIED: 'Access denied',
  SEND_FAILED: 'Failed to send message',
  DUPLICATE_MESSAGE: 'Message already sent',
  UNAVAILABLE: 'Service unavailable',
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
