import { AppError, defaultMessages, type ErrorCode } from '../domain/errors.js';
import type { Logger } from '../services/ports.js';

/** The one table from error codes to HTTP statuses; the socket `error` event carries the same message. */
export const httpStatus: Record<ErrorCode, number> = {
  VALIDATION: 400,
  NO_TOKEN: 401,
  INVALID_TOKEN: 401,
  TOKEN_USER_NOT_FOUND: 401,
  TOKEN_EXPIRED: 401,
  INVALID_CREDENTIALS: 401,
  USERNAME_TAKEN: 409,
  EMAIL_TAKEN: 409,
  RECEIVER_NOT_FOUND: 404,
  USER_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  CONVERSATION_NOT_FOUND: 404,
  ACCESS_DENIED: 403,
  UNKNOWN_USER: 400,
  GROUP_FULL: 409,
  DIRECT_MEMBERSHIP: 400,
  SEND_FAILED: 500,
  SEND_REJECTED: 403,
  DUPLICATE_MESSAGE: 409,
  UNAVAILABLE: 503,
  RATE_LIMITED: 429,
  NOT_FOUND: 404,
  INTERNAL: 500,
};

export interface WireError {
  status: number;
  code: ErrorCode;
  message: string;
}

/**
 * Maps any thrown value to what a client may see. `AppError`s pass through with their message; anything
 * else is logged in full and reaches the client only as `fallback`'s generic message.
 */
export function toWireError(err: unknown, logger: Logger, fallback: ErrorCode = 'INTERNAL'): WireError {
  if (err instanceof AppError) return { status: httpStatus[err.code], code: err.code, message: err.message };
  logger.error({ err }, 'unexpected error');
  return { status: httpStatus[fallback], code: fallback, message: defaultMessages[fallback] };
}
