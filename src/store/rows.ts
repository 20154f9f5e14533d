import type { Selectable } from 'kysely';
import type { Message, User } from '../domain/types.js';
import { idOf, type MessagesTable, type UsersTable } from './schema.js';
import type { NewMessage } from './store.js';

/** Stored rows → domain objects: integer ids become decimal strings, epoch milliseconds become Dates. */

const toDate = (ms: number | string | null): Date | null => (ms === null ? null : new Date(Number(ms)));

export const userColumns = [
  'id',
  'name',
  'username',
  'email',
  'role',
  'last_seen',
  'created_at',
  'external_id',
  'disabled_at',
] as const;

export const toUser = (row: Omit<Selectable<UsersTable>, 'password_hash'>): User => ({
  id: String(row.id),
  name: row.name,
  username: row.username,
  email: row.email,
  role: row.role,
  lastSeen: toDate(row.last_seen),
  createdAt: new Date(Number(row.created_at)),
  ...(row.external_id === null ? {} : { externalId: row.external_id }),
  ...(row.disabled_at === null ? {} : { disabledAt: new Date(Number(row.disabled_at)) }),
});

export const toMessage = (row: Selectable<MessagesTable>): Message => ({
  id: String(row.id),
  conversationId: String(row.conversation_id),
  senderId: String(row.sender_id),
  receiverId: row.receiver_id === null ? null : String(row.receiver_id),
  content: row.content,
  sentAt: new Date(Number(row.sent_at)),
  readAt: toDate(row.read_at),
  ...(row.client_message_id === null ? {} : { clientMessageId: row.client_message_id }),
});

/** Escapes LIKE wildcards so a search for `50%` means the characters, not a pattern. */
export const likePattern = (query: string): string =>
  `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A new message, its conversation known, as a `messages` row. */
export function toMessageRow(m: NewMessage & { conversationId: string }) {
  const conversation = idOf(m.conversationId);
  const sender = idOf(m.senderId);
  const receiver = m.receiverId === null ? null : idOf(m.receiverId);
  if (conversation === undefined || sender === undefined || receiver === undefined) {
    throw new Error('message with unknown ids');
  }
  return {
    conversation_id: conversation,
    sender_id: sender,
    receiver_id: receiver,
    content: m.content,
    sent_at: m.sentAt.getTime(),
    read_at: null,
    client_message_id: m.clientMessageId ?? null,
  };
}
