import { AppError } from '../domain/errors.js';
import type { Message, MessageReceipts, ReadState, User } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { ConversationService } from './conversation-service.js';
import type { RateLimiter } from './ports.js';

/** Reading in groups: per-message reads that move the cursor, the viewer's read flags, receipts. */

/**
 * A member marking a group message read: their cursor moves up to it (publishing `conversation.read`).
 * Not a member (removed, never added): `Message not found`, as for an id that names nothing.
 */
export async function readInGroup(
  conversations: ConversationService,
  reader: User,
  message: Message,
): Promise<ReadState> {
  try {
    return await conversations.moveCursor(reader, message.conversationId, message.id);
  } catch (err) {
    if (err instanceof AppError && err.code === 'CONVERSATION_NOT_FOUND') {
      throw new AppError('MESSAGE_NOT_FOUND');
    }
    throw err;
  }
}

/**
 * A group's messages with `readAt` as the viewer sees it: their own messages and those at or below their
 * cursor are read (at the time the cursor last moved, or when sent), the rest unread.
 */
export function withViewerReads(messages: Message[], viewer: ReadState): Message[] {
  const cursor = viewer.lastReadMessageId === null ? 0 : Number(viewer.lastReadMessageId);
  return messages.map((m) => {
    const read = m.senderId === viewer.userId || Number(m.id) <= cursor;
    return { ...m, readAt: read ? (viewer.lastReadAt ?? m.sentAt) : null };
  });
}

/**
 * Who has read (and, until delivery cursors exist, received) a message: for its sender only. A message
 * of a conversation the caller is not a member of, or no message: `Message not found`; a member who did
 * not send it: `Access denied`.
 */
export async function receiptsOf(
  deps: { store: Store; conversations: ConversationService; limits: RateLimiter },
  user: User,
  messageId: string,
): Promise<MessageReceipts> {
  const { store, conversations, limits } = deps;
  await limits.consume('query', user.id);
  const message = await store.findMessage(messageId);
  const info = message && (await conversations.info(message.conversationId));
  if (!message || !info?.memberIds.includes(user.id)) throw new AppError('MESSAGE_NOT_FOUND');
  if (message.senderId !== user.id) throw new AppError('ACCESS_DENIED');
  return store.groups.receipts(message);
}
