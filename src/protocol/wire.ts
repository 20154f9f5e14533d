import type { ConversationMember, ConversationView, Message, ReadState, User } from '../domain/types.js';
import type {
  ConversationMemberPayload,
  ConversationReadPayload,
  OnlineUser,
  OwnWireUser,
  WireConversation,
  WireMessage,
  WireUser,
} from './outputs.js';

/** Domain objects → the spec's wire shapes. Pure functions; ids are strings, dates ISO-8601. */

/** A user as others see them: never with the email. */
export const toWireUser = (user: User): WireUser => ({
  _id: user.id,
  name: user.name,
  username: user.username,
  role: user.role,
  lastSeen: user.lastSeen ? user.lastSeen.toISOString() : null,
});

/** A user as they see themselves: with their email. */
export const toOwnWireUser = (user: User): OwnWireUser => {
  const { lastSeen, ...rest } = toWireUser(user);
  return { ...rest, email: user.email, lastSeen };
};

/** An `online_users` entry: the seed's shape (with `email`) unless `withEmail` is false. */
export const toOnlineUser = (user: User, withEmail = true): OnlineUser => ({
  userId: user.id,
  ...(withEmail ? toOwnWireUser(user) : toWireUser(user)),
});

export const toWireMessage = (
  message: Message,
  names: { senderName: string; receiverName: string | null },
): WireMessage => ({
  _id: message.id,
  conversationId: message.conversationId,
  content: message.content,
  sentAt: message.sentAt.toISOString(),
  read: message.readAt !== null,
  senderId: message.senderId,
  senderName: names.senderName,
  receiverId: message.receiverId,
  receiverName: names.receiverName,
  ...(message.clientMessageId === undefined ? {} : { clientMessageId: message.clientMessageId }),
});

/** At most `max` characters (code points, never splitting a surrogate pair), ending in "..." when cut. */
export function preview(content: string, max = 100): string {
  if (content.length <= max) return content;
  const chars = Array.from(content);
  if (chars.length <= max) return content;
  return `${chars.slice(0, max - 3).join('')}...`;
}

/** A conversation as its viewer sees it; message names come from its members (or `names` for others). */
export const toWireMember = (m: ConversationMember): ConversationMemberPayload => ({
  _id: m.userId,
  name: m.name,
  username: m.username,
  role: m.role,
  joinedAt: m.joinedAt.toISOString(),
});

export function toWireConversation(
  view: ConversationView,
  names: ReadonlyMap<string, string> = new Map(),
): WireConversation {
  const nameOf = (id: string | null) =>
    id === null ? null : (view.members.find((m) => m.userId === id)?.name ?? names.get(id) ?? '');
  const last = view.lastMessage;
  return {
    _id: view.id,
    type: view.type,
    title: view.title,
    createdAt: view.createdAt.toISOString(),
    lastMessage: last
      ? toWireMessage(last, {
          senderName: nameOf(last.senderId) ?? '',
          receiverName: nameOf(last.receiverId),
        })
      : null,
    lastActivityAt: view.lastActivityAt.toISOString(),
    memberCount: view.memberCount,
    members: view.members.map(toWireMember),
    unreadCount: view.viewer.unreadCount,
    lastReadMessageId: view.viewer.lastReadMessageId,
    muted: false,
  };
}

export const toConversationRead = (state: ReadState): ConversationReadPayload => ({
  conversationId: state.conversationId,
  userId: state.userId,
  lastReadMessageId: state.lastReadMessageId,
  readAt: state.lastReadAt ? state.lastReadAt.toISOString() : null,
});
