import { z } from 'zod';

/** Server → client payloads, field for field as in the realtime spec. Dates are ISO-8601 strings. */

const isoDate = z.string().describe('ISO-8601 date-time');

/** A user as other users see them: no email (it goes to its owner alone, see `ownWireUser`). */
export const wireUser = z.object({
  _id: z.string(),
  name: z.string(),
  username: z.string(),
  role: z.string(),
  lastSeen: isoDate.nullable(),
});

/** A user as they see themselves (register, login, `/api/auth/me`): with their email. */
export const ownWireUser = wireUser.extend({ email: z.string() });

export const connectionPayload = z.object({
  success: z.literal(true),
  user: z.object({ _id: z.string(), name: z.string(), username: z.string() }),
});

/** `email` is the seed's and on by default; `ONLINE_USERS_EMAIL=false` leaves it out. */
export const onlineUser = wireUser.extend({ userId: z.string(), email: z.string().optional() });
export const onlineUsersPayload = z.array(onlineUser);
export const userOnlinePayload = z.object({ userId: z.string(), name: z.string(), username: z.string() });
export const userOfflinePayload = z.object({ userId: z.string(), lastSeen: isoDate });

export const wireMessage = z.object({
  _id: z.string(),
  content: z.string(),
  sentAt: isoDate,
  read: z.boolean(),
  senderId: z.string(),
  senderName: z.string(),
  receiverId: z.string(),
  receiverName: z.string(),
  /** Present when the sender gave one. */
  clientMessageId: z.string().optional(),
});

export const messageSentPayload = z.object({ success: z.literal(true), message: wireMessage });
export const messageReadConfirmedPayload = messageSentPayload;
export const messageReadPayload = z.object({
  messageId: z.string(),
  readBy: z.object({ _id: z.string(), name: z.string() }),
  readAt: isoDate,
});
export const typingIndicatorPayload = z.object({
  userId: z.string(),
  userName: z.string(),
  isTyping: z.boolean(),
});
export const messageHistoryPayload = z.object({
  messages: z.array(wireMessage),
  otherUser: z.object({ _id: z.string(), name: z.string() }),
  pagination: z.object({ page: z.number().int(), limit: z.number().int(), hasMore: z.boolean() }),
});
export const missedMessagesPayload = z.object({
  messages: z.array(wireMessage),
  /** More messages follow: ask again with this `lastMessageId`. */
  hasMore: z.boolean(),
  /** The id to sync after next time: the last message's, or the one asked with when there was none. */
  lastMessageId: z.string(),
});
export const unreadCountPayload = z.object({ count: z.number().int() });
export const messageNotificationPayload = z.object({
  type: z.literal('new_message'),
  from: z.object({ _id: z.string(), name: z.string() }),
  message: z.string().describe('preview, at most 100 characters'),
  timestamp: isoDate,
});
export const errorPayload = z.object({ message: z.string() });
export const ackErrorPayload = z.object({ success: z.literal(false), message: z.string() });
export const successPayload = z.object({ success: z.literal(true) });

export type WireUser = z.infer<typeof wireUser>;
export type OwnWireUser = z.infer<typeof ownWireUser>;
export type WireMessage = z.infer<typeof wireMessage>;
export type ConnectionPayload = z.infer<typeof connectionPayload>;
export type OnlineUser = z.infer<typeof onlineUser>;
export type UserOnlinePayload = z.infer<typeof userOnlinePayload>;
export type UserOfflinePayload = z.infer<typeof userOfflinePayload>;
export type MessageSentPayload = z.infer<typeof messageSentPayload>;
export type MessageReadPayload = z.infer<typeof messageReadPayload>;
export type TypingIndicatorPayload = z.infer<typeof typingIndicatorPayload>;
export type MessageHistoryPayload = z.infer<typeof messageHistoryPayload>;
export type UnreadCountPayload = z.infer<typeof unreadCountPayload>;
export type MissedMessagesPayload = z.infer<typeof missedMessagesPayload>;
export type MessageNotificationPayload = z.infer<typeof messageNotificationPayload>;
export type ErrorPayload = z.infer<typeof errorPayload>;
export type AckErrorPayload = z.infer<typeof ackErrorPayload>;
