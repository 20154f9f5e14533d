import type { User } from '../domain/types.js';
import type {
  MessageHistoryPayload,
  MessageSentPayload,
  MissedMessagesPayload,
  OnlineUser,
  UnreadCountPayload,
  WireMessage,
} from '../protocol/outputs.js';
import { toOnlineUser, toWireMessage } from '../protocol/wire.js';
import type { HistoryPage, NamedMessage, SyncPage } from '../services/message-types.js';

/** Message results → the answers both transports give (REST bodies, socket replies, acks and emits). */

export const toNamedWire = ({ message, senderName, receiverName }: NamedMessage): WireMessage =>
  toWireMessage(message, { senderName, receiverName });

/** `message_sent`, `message_read_confirmed` and their REST answers. */
export const toMessageSentPayload = (sent: NamedMessage): MessageSentPayload => ({
  success: true,
  message: toNamedWire(sent),
});

export const toHistoryPayload = (page: HistoryPage): MessageHistoryPayload => ({
  messages: page.messages.map(toNamedWire),
  ...(page.conversationId === undefined ? {} : { conversationId: page.conversationId }),
  ...(page.otherUser ? { otherUser: { _id: page.otherUser.id, name: page.otherUser.name } } : {}),
  hasMore: page.hasMore,
  pagination: {
    ...(page.page === undefined ? {} : { page: page.page }),
    limit: page.limit,
    hasMore: page.hasMore,
  },
});

export const toMissedMessagesPayload = (page: SyncPage): MissedMessagesPayload => ({
  messages: page.messages.map(toNamedWire),
  hasMore: page.hasMore,
  lastMessageId: page.lastMessageId,
});

export const toUnreadCountPayload = (count: number): UnreadCountPayload => ({ count });

/** `online_users`: with each user's email unless `withEmail` is false (`ONLINE_USERS_EMAIL`). */
export const toOnlineUsers = (users: readonly User[], withEmail = true): OnlineUser[] =>
  users.map((u) => toOnlineUser(u, withEmail));
