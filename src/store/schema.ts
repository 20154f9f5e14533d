import type { Generated } from 'kysely';

/** Table shapes as stored. Times are epoch milliseconds (bigint columns). */
export interface UsersTable {
  id: string;
  name: string;
  username: string;
  email: string;
  role: string;
  password_hash: string;
  last_seen: number | null;
  created_at: number;
}

export interface MessagesTable {
  id: Generated<number>;
  /** Both user ids, sorted and joined with ':' — one index serves a conversation in either direction. */
  conversation: string;
  sender_id: string;
  receiver_id: string;
  content: string;
  sent_at: number;
  read_at: number | null;
}

/** One row per direction of every pair of users who share a conversation. */
export interface ContactsTable {
  user_id: string;
  contact_id: string;
}

export interface Database {
  users: UsersTable;
  messages: MessagesTable;
  contacts: ContactsTable;
}

export const conversationKey = (a: string, b: string): string => (a < b ? `${a}:${b}` : `${b}:${a}`);
