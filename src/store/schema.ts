import type { Generated } from 'kysely';

/**
 * Table shapes as stored. Ids are integers (rowid / bigserial) — compact keys keep the message indexes
 * small, which is most of what an insert costs — and are exposed as decimal strings. Times are epoch
 * milliseconds (bigint columns).
 */
export interface UsersTable {
  id: Generated<number>;
  name: string;
  username: string;
  email: string;
  role: string;
  password_hash: string;
  last_seen: number | null;
  created_at: number;
  /** The host application's id for a user it owns (library mode); null for Parley's own accounts. */
  external_id: Generated<string | null>;
  /** When the user was disabled (epoch ms); null for an active user. */
  disabled_at: Generated<number | null>;
}

export interface MessagesTable {
  id: Generated<number>;
  conversation_id: number;
  sender_id: number;
  /** The other member of a direct conversation; null in a group. */
  receiver_id: number | null;
  content: string;
  sent_at: number;
  read_at: number | null;
  /** The sender's own id for the message (idempotent retries); unique per sender when set. */
  client_message_id: string | null;
}

export interface ConversationsTable {
  id: Generated<number>;
  type: 'direct' | 'group';
  /** A group's title; null for a direct conversation. */
  title: string | null;
  /**
   * A direct conversation's two members, smaller id first; null for a group. Unique together: one direct
   * conversation per pair, however many processes create it at once.
   */
  direct_low: number | null;
  direct_high: number | null;
  created_by: number | null;
  created_at: number;
  member_count: number;
}

/**
 * A user's membership of a conversation, with their own state in it. `unread_count` is kept exact by
 * every write that changes it (a new message, a read flag, a cursor move), so the inbox and the unread
 * total never scan messages. `last_message_id` and `last_activity_at` are the conversation's newest
 * message and activity as this member sees them, kept here so that a user's inbox is one index range.
 */
export interface ConversationMembersTable {
  conversation_id: number;
  user_id: number;
  role: 'owner' | 'admin' | 'member';
  joined_at: number;
  /** The read cursor: every message up to this id is read for this member (0: none). */
  last_read_message_id: number;
  last_read_at: number | null;
  unread_count: number;
  /** The newest message (0: none). */
  last_message_id: number;
  last_activity_at: number;
}

export interface Database {
  users: UsersTable;
  messages: MessagesTable;
  conversations: ConversationsTable;
  conversation_members: ConversationMembersTable;
}

/** Ids are decimal strings of positive integers; anything else names no row. */
export const idOf = (id: string): number | undefined => {
  if (!/^[1-9]\d{0,14}$/.test(id)) return undefined;
  return Number(id);
};

/** The numeric ids among `ids` (others name no stored row). */
export const definedIds = (ids: readonly string[]): number[] =>
  ids.map(idOf).filter((id): id is number => id !== undefined);
