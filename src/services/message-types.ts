import type { Message, User } from '../domain/types.js';
import type { UserService } from './user-service.js';

/** What `MessagingService` takes and answers: plain domain values, whatever the transport. */

/** A send: to a user (their direct conversation) or to a conversation; `content` already trimmed. */
export interface SendInput {
  receiverId?: string | undefined;
  conversationId?: string | undefined;
  content: string;
  /** The client's own id for this send: a retry with the same id returns the stored message. */
  clientMessageId?: string | undefined;
}

/** A page of history: of the direct conversation with `otherUserId`, or of `conversationId`. */
export interface HistoryQuery {
  otherUserId?: string | undefined;
  conversationId?: string | undefined;
  /** Page mode: 1 is the newest `limit`. */
  page?: number | undefined;
  limit?: number | undefined;
  /** Cursor mode: messages older (`before`) or newer (`after`) than this message id. */
  before?: string | undefined;
  after?: string | undefined;
}

/** A message with the names of its sender and, in a direct conversation, its receiver. */
export interface NamedMessage {
  message: Message;
  senderName: string;
  receiverName: string | null;
}

export interface HistoryPage {
  messages: NamedMessage[];
  /** The conversation paged; absent when asked by `otherUserId` and the pair has none yet. */
  conversationId?: string;
  /** The other member, for a direct conversation. */
  otherUser?: { id: string; name: string };
  /** More messages in the direction paged. */
  hasMore: boolean;
  /** Page mode only: the page number. */
  page?: number;
  limit: number;
}

export interface SyncPage {
  messages: NamedMessage[];
  hasMore: boolean;
  /** The id to sync after next time: the last message's, or the one asked with when there was none. */
  lastMessageId: string;
}

/** A sync query: messages with ids above `lastMessageId` (`'0'`: from the beginning). */
export interface SyncQuery {
  lastMessageId: string;
  limit?: number | undefined;
}

export const named = (message: Message, sender: User, receiver: User | null): NamedMessage => ({
  message,
  senderName: sender.name,
  receiverName: receiver?.name ?? null,
});

/** The messages with their names, from `names` or else the user cache (`names` gains those looked up). */
export async function namedAll(
  users: UserService,
  messages: Message[],
  names: Map<string, string>,
): Promise<NamedMessage[]> {
  const nameOf = async (id: string) => {
    let name = names.get(id);
    if (name === undefined) {
      name = (await users.get(id))?.name ?? '';
      names.set(id, name);
    }
    return name;
  };
  const result: NamedMessage[] = [];
  for (const message of messages) {
    const senderName = await nameOf(message.senderId);
    const receiverName = message.receiverId === null ? null : await nameOf(message.receiverId);
    result.push({ message, senderName, receiverName });
  }
  return result;
}
