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
  /** The pair's smaller and larger user id: one index serves a conversation in either direction. */
  user_low: number;
  user_high: number;
  sender_id: number;
  receiver_id: number;
  content: string;
  sent_at: number;
  read_at: number | null;
  /** The sender's own id for the message (idempotent retries); unique per sender when set. */
  client_message_id: string | null;
}

/** One row per direction of every pair of users who share a conversation. */
export interface ContactsTable {
  user_id: number;
  contact_id: number;
}

export interface Database {
  users: UsersTable;
  messages: MessagesTable;
  contacts: ContactsTable;
}

/** Ids are decimal strings of positive integers; anything else names no row. */
export const idOf = (id: string): number | undefined => {
  if (!/^[1-9]\d{0,14}$/.test(id)) return undefined;
  return Number(id);
};

export const pairOf = (a: number, b: number): { user_low: number; user_high: number } =>
  a < b ? { user_low: a, user_high: b } : { user_low: b, user_high: a };

/** The numeric ids among `ids` (others name no stored row). */
export const definedIds = (ids: readonly string[]): number[] =>
  ids.map(idOf).filter((id): id is number => id !== undefined);
