import type {
  ConversationMember,
  ConversationType,
  ConversationView,
  InboxPosition,
  Message,
  ReadState,
  User,
} from '../domain/types.js';
import type { GroupStore } from './group-store.js';

export interface NewUser {
  name: string;
  username: string;
  /** Already normalised (trimmed, lower-case). */
  email: string;
  role: string;
  passwordHash: string;
  createdAt: Date;
}

/** A user owned by the host application (library mode), as its user lookup describes it. */
export interface ExternalUser {
  externalId: string;
  name: string;
  username: string;
  email: string;
  role: string;
}

export interface NewMessage {
  senderId: string;
  /** The other member of a direct conversation; null in a group. */
  receiverId: string | null;
  /** Absent: the direct conversation of sender and receiver (created on first use). */
  conversationId?: string;
  content: string;
  sentAt: Date;
  clientMessageId?: string;
}

export interface ConversationInfo {
  id: string;
  type: ConversationType;
  title: string | null;
  memberIds: string[];
}

export interface UserSearch {
  /** Case-insensitive substring of name or username (never email); empty or absent matches everyone. */
  query?: string;
  excludeId?: string;
  offset: number;
  limit: number;
}

/**
 * Persistent storage for users and messages.
 *
 * Contract (checked by test/contract/store-contract.ts and external-users-contract.ts on every
 * implementation):
 * - Ids are decimal strings of integers assigned by the store; a string that is not such an id names
 *   nothing (lookups resolve `undefined`, writes are no-ops).
 * - Usernames and emails are unique case-insensitively; `createUser` throws `AppError('USERNAME_TAKEN')`
 *   or `AppError('EMAIL_TAKEN')` on a clash, also when two inserts race.
 * - `insertMessage` resolves only once the message is durably stored, and returns it with its new id;
 *   ids of one store increase with insertion order.
 * - A sender's `clientMessageId`s are unique: `insertMessage` with one already stored rejects with
 *   `AppError('DUPLICATE_MESSAGE')` and stores nothing, also when two inserts race;
 * - `insertMessage` between users one of whom no longer exists rejects with `AppError('RECEIVER_NOT_FOUND')`
 *   and stores nothing;
 *   `findByClientMessageId` finds the stored one.
 * - `markRead` sets `readAt` only if it is not set yet, and returns the stored message either way.
 * - A member's `unreadCount` (and `countUnread`, their sum) always equals the number of messages from
 *   others that are unread for them: in a direct conversation those without `readAt`, in a group those
 *   above their read cursor. Every write that changes it (insert, `markRead`, `markConversationRead`)
 *   changes it in the same transaction.
 * - `openDirect` makes one direct conversation per pair, whatever the order of the users and however
 *   many calls race (on every process).
 * - `conversation` returns the messages between two users, either direction, newest first.
 * - `messagesSince` returns the user's messages (sent or received, every conversation) with ids above
 *   `afterId` (`'0'` for all), lowest id first, at most `limit`. Ids become visible in increasing order, so
 *   a reader that has seen id N never later finds a new message below N. A group message's `readAt` is
 *   the user's own read state there (read when they sent it or their cursor has passed it).
 * - `contactsOf` lists the users who share a conversation with the user, once each: a group from the
 *   moment both are members, a direct conversation as soon as a message is stored in it (an opened
 *   direct conversation without messages makes no contacts).
 * - Disabled users are still found (by id, by ids, by credentials), with `disabledAt` set; callers decide
 *   what a disabled user may do.
 * - `deleteUser` removes the user with everything that refers to them (their direct conversations with
 *   every message in them, their messages in groups, their memberships) in one transaction: afterwards no
 *   lookup finds them or those messages. In their groups it is as if they had left: one member less,
 *   ownership handed over, the other members' unread counts and newest message no longer counting theirs.
 * - Unknown ids are not errors: lookups resolve `undefined` (or an empty list).
 * - Any other failure rejects with the driver's error; callers map it.
 */
export interface Store {
  /** Groups: creation, title, members, roles (`group-store.ts` states its contract). */
  readonly groups: GroupStore;
  createUser(user: NewUser): Promise<User>;
  /**
   * The user for a host application's user: created on first sight (without a password: it cannot log
   * in through Parley), its profile updated when the host's differs. Concurrent calls agree on one row.
   */
  upsertExternalUser(user: ExternalUser, now: Date): Promise<User>;
  findUserById(id: string): Promise<User | undefined>;
  findUsersByIds(ids: readonly string[]): Promise<User[]>;
  /** The user and password hash for a login by email (lower-case) or by username (any case). */
  findCredentials(login: {
    email?: string;
    username?: string;
  }): Promise<{ user: User; passwordHash: string } | undefined>;
  searchUsers(search: UserSearch): Promise<{ users: User[]; total: number }>;
  setLastSeen(userId: string, at: Date): Promise<void>;
  /**
   * Disables the user (`disabledAt`: a time; an already disabled user keeps its first time) or enables
   * them (`null`). Resolves the user as stored afterwards, or `undefined` for an unknown id.
   */
  setUserDisabled(userId: string, disabledAt: Date | null): Promise<User | undefined>;
  /** Deletes the user, their messages and contact rows; resolves whether there was such a user. */
  deleteUser(userId: string): Promise<boolean>;

  insertMessage(message: NewMessage): Promise<Message>;
  findMessage(id: string): Promise<Message | undefined>;
  findByClientMessageId(senderId: string, clientMessageId: string): Promise<Message | undefined>;
  markRead(id: string, at: Date): Promise<Message | undefined>;
  conversation(userA: string, userB: string, page: { offset: number; limit: number }): Promise<Message[]>;
  messagesSince(userId: string, afterId: string, limit: number): Promise<Message[]>;
  countUnread(userId: string): Promise<number>;
  contactsOf(userId: string): Promise<string[]>;

  /** The pair's direct conversation, created with its two members if there is none yet. */
  openDirect(userA: string, userB: string, now: Date): Promise<{ id: string; created: boolean }>;
  /** The conversation as `viewerId` sees it; undefined when there is none or they are not a member. */
  conversationFor(conversationId: string, viewerId: string): Promise<ConversationView | undefined>;
  /** The user's conversations, newest activity first, starting after `after`. */
  inbox(userId: string, page: { limit: number; after?: InboxPosition }): Promise<ConversationView[]>;
  /** A page of a conversation's members, in joining order, after the last member of the previous page. */
  conversationMembers(
    conversationId: string,
    page: { limit: number; after?: { joinedAt: number; userId: string } },
  ): Promise<ConversationMember[]>;
  /** The pair's direct conversation id, if they have one (never creates it). */
  findDirect(userA: string, userB: string): Promise<string | undefined>;
  /** A conversation's type, title and member ids (in joining order); undefined when there is none. */
  conversationInfo(conversationId: string): Promise<ConversationInfo | undefined>;
  /**
   * Moves the member's read cursor forward to `upTo` (default: the newest message); `moved` is false
   * when it was there already or beyond. Undefined when they are not a member; `upTo` not a message of
   * the conversation rejects with `AppError('MESSAGE_NOT_FOUND')`.
   */
  markConversationRead(
    conversationId: string,
    userId: string,
    upTo: string | undefined,
    at: Date,
  ): Promise<{ state: ReadState; moved: boolean } | undefined>;
  /**
   * Up to `limit` messages of a conversation: with `after`, the oldest above it, oldest first; else the
   * newest (below `before` when given), newest first.
   */
  conversationMessages(
    conversationId: string,
    page: { before?: string; after?: string; offset?: number; limit: number },
  ): Promise<Message[]>;

  /** Resolves when storage answers a trivial query; used by readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
