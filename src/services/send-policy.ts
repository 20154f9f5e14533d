import { AppError } from '../domain/errors.js';
import type { User } from '../domain/types.js';
import type { Logger } from './ports.js';

/** A message about to be stored: valid, allowed, not a retry. What `beforeSend` decides on. */
export interface SendDraft {
  sender: User;
  /** The content, trimmed. */
  content: string;
  /** The conversation it goes to; absent for a first message to a user, whose direct conversation is created with it. */
  conversationId?: string;
  /** The other member of a direct conversation; null in a group. */
  receiver: User | null;
  /** The conversation's members other than the sender. */
  recipientIds: string[];
}

/**
 * `{ reject: message }` refuses the send with that message (nothing is stored); `{ content }` stores that
 * content instead (trimmed, then validated as a client's would be); nothing keeps the draft as it is.
 */
export type SendVerdict = { reject: string } | { content: string } | undefined | void;

/** The host's say on each message before it is stored (library mode). */
export type BeforeSend = (draft: SendDraft) => SendVerdict | Promise<SendVerdict>;

/** Longest content in characters (code points): `VALIDATION` above it. */
export function checkContentLength(content: string, max: number): void {
  // `length` counts UTF-16 units, never fewer than code points: only a long text needs counting.
  if (content.length > max && Array.from(content).length > max) {
    throw new AppError('VALIDATION', `content must be at most ${max} characters`);
  }
}

/**
 * The content to store after asking `beforeSend`. A rejection is `SEND_REJECTED` with the host's message;
 * a hook that throws, rejects or answers a content that is not a string is logged and the send fails
 * with `SEND_FAILED`; a rewritten content is trimmed and must be non-empty and at most `maxLength`.
 */
export async function applyBeforeSend(
  beforeSend: BeforeSend,
  draft: SendDraft,
  { maxLength, logger }: { maxLength: number; logger: Logger },
): Promise<string> {
  let verdict: SendVerdict;
  try {
    verdict = await beforeSend(draft);
  } catch (err) {
    logger.error({ err, senderId: draft.sender.id }, 'the beforeSend hook failed');
    throw new AppError('SEND_FAILED', undefined, { cause: err });
  }
  if (typeof verdict !== 'object' || verdict === null) return draft.content;
  if ('reject' in verdict && verdict.reject !== undefined) {
    throw new AppError(
      'SEND_REJECTED',
      typeof verdict.reject === 'string' && verdict.reject ? verdict.reject : undefined,
    );
  }
  if (!('content' in verdict) || verdict.content === undefined) return draft.content;
  if (typeof verdict.content !== 'string') {
    logger.error(
      { senderId: draft.sender.id },
      'the beforeSend hook answered a content that is not a string',
    );
    throw new AppError('SEND_FAILED');
  }
  const content = verdict.content.trim();
  if (content === '') throw new AppError('VALIDATION', 'content must not be empty');
  checkContentLength(content, maxLength);
  return content;
}
