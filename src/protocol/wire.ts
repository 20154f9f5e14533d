import type { Message, User } from '../domain/types.js';
import type { OnlineUser, WireMessage, WireUser } from './outputs.js';

/** Domain objects → the spec's wire shapes. Pure functions; ids are strings, dates ISO-8601. */

export const toWireUser = (user: User): WireUser => ({
  _id: user.id,
  name: user.name,
  username: user.username,
  email: user.email,
  role: user.role,
  lastSeen: user.lastSeen ? user.lastSeen.toISOString() : null,
});

export const toOnlineUser = (user: User): OnlineUser => ({ userId: user.id, ...toWireUser(user) });

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
