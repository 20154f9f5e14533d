import type { Message, User } from '../domain/types.js';
import type { OnlineUser, OwnWireUser, WireMessage, WireUser } from './outputs.js';

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
  names: { senderName: string; receiverName: string },
): WireMessage => ({
  _id: message.id,
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
