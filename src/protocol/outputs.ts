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
  conversationId: z.string(),
  content: z.string(),
  sentAt: isoDate,
  /** For the viewer: in a direct conversation, whether the receiver has read it. */
  read: z.boolean(),
  senderId: z.string(),
  senderName: z.string(),
  receiverId: z.string().nullable().describe('the other member of a direct conversation; null in a group'),
  receiverName: z.string().nullable().describe('null in a group'),
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
  conversationId: z.string(),
});
export const messageHistoryPayload = z.object({
  messages: z.array(wireMessage),
  /** The conversation paged; absent when asked by `otherUserId` and the pair has none yet. */
  conversationId: z.string().optional(),
  /** The other member, for a direct conversation. */
  otherUser: z.object({ _id: z.string(), name: z.string() }).optional(),
  /** Older messages exist (`before`, page mode), or newer ones (`after`). */
  hasMore: z.boolean(),
  pagination: z.object({
    page: z.number().int().optional().describe('page mode only'),
    limit: z.number().int(),
    hasMore: z.boolean(),
  }),
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
  conversationId: z.string(),
  /** A group's title; absent for a direct conversation. */
  conversationTitle: z.string().optional(),
});

export const conversationMember = z.object({
  _id: z.string(),
  name: z.string(),
  username: z.string(),
  role: z.enum(['owner', 'admin', 'member']),
  joinedAt: isoDate,
});
export const wireConversation = z.object({
  _id: z.string(),
  type: z.enum(['direct', 'group']),
  title: z.string().nullable().describe('null for a direct conversation'),
  createdAt: isoDate,
  lastMessage: wireMessage.nullable().describe('the newest message, or null'),
  lastActivityAt: isoDate,
  memberCount: z.number().int(),
  members: z.array(conversationMember).describe('at most 100, by joining time'),
  unreadCount: z.number().int().describe("the viewer's unread messages here"),
  lastReadMessageId: z.string().nullable().describe("the viewer's read cursor"),
  muted: z.boolean(),
});
export const conversationsPayload = z.object({
  conversations: z.array(wireConversation).describe('newest activity first'),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null at the end'),
});
export const conversationPayload = z.object({ conversation: wireConversation });
export const membersPayload = z.object({
  members: z.array(conversationMember).describe('in joining order'),
  nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null at the end'),
});
/** To every socket of every member when a member's read cursor moves. */
export const conversationReadPayload = z.object({
  conversationId: z.string(),
  userId: z.string(),
  lastReadMessageId: z.string().nullable(),
  readAt: isoDate.nullable(),
  /** Only to the reader's own sockets: their unread count in this conversation now. */
  unreadCount: z.number().int().optional(),
  success: z.literal(true).optional(),
});
export const markConversationReadPayload = z.object({
  success: z.literal(true),
  conversationId: z.string(),
  lastReadMessageId: z.string().nullable(),
  unreadCount: z.number().int(),
});
export const conversationChange = z.object({
  type: z.enum(['created', 'renamed', 'members_added', 'member_removed', 'member_left', 'role_changed']),
  by: z.string().describe('who made the change (for member_left: who left)'),
  userIds: z
    .array(z.string())
    .optional()
    .describe('whom it is about: the members created with, added, removed, who left, whose role changed'),
});
/** To every socket of every member (and of those who just left or were removed) on every group change. */
export const conversationUpdatedPayload = z.object({
  conversation: wireConversation.describe(
    'the conversation after the change, the same for every member: `unreadCount` 0 and `lastReadMessageId` null (not the viewer’s: keep your own)',
  ),
  change: conversationChange,
});
/** The answer to a group change: the group as the caller sees it afterwards. */
export const groupChangedPayload = z.object({
  success: z.literal(true),
  conversation: wireConversation.describe(
    'as the caller sees it after the change; after leaving, as in `conversation_updated`',
  ),
});
export const receiptsPayload = z.object({
  messageId: z.string(),
  readBy: z
    .array(z.object({ userId: z.string(), readAt: isoDate }))
    .describe('members whose read cursor passed the message, with when it last moved; oldest first'),
  deliveredTo: z
    .array(z.object({ userId: z.string(), deliveredAt: isoDate }))
    .describe('members who received it: for now those who read it (delivery cursors come later)'),
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
export type ConversationMemberPayload = z.infer<typeof conversationMember>;
export type WireConversation = z.infer<typeof wireConversation>;
export type ConversationsPayload = z.infer<typeof conversationsPayload>;
export type ConversationPayload = z.infer<typeof conversationPayload>;
export type MembersPayload = z.infer<typeof membersPayload>;
export type ConversationReadPayload = z.infer<typeof conversationReadPayload>;
export type MarkConversationReadPayload = z.infer<typeof markConversationReadPayload>;
export type AckErrorPayload = z.infer<typeof ackErrorPayload>;
export type ConversationUpdatedPayload = z.infer<typeof conversationUpdatedPayload>;
export type GroupChangedPayload = z.infer<typeof groupChangedPayload>;
export type ReceiptsPayload = z.infer<typeof receiptsPayload>;
