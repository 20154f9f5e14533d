/** A registered user as the domain sees it. Ids are opaque strings. */
export interface User {
  id: string;
  name: string;
  username: string;
  email: string;
  role: string;
  /** When the user was last online (set when a connection opens and when the last one closes). */
  lastSeen: Date | null;
  createdAt: Date;
  /** Set while the user is disabled: they cannot log in, and their tokens and sockets are refused. */
  disabledAt?: Date;
  /** The host application's id for a user it owns (library mode); absent for Parley's own accounts. */
  externalId?: string;
}

/** A message in a conversation. */
export interface Message {
  id: string;
  conversationId: string;
  senderId: string;
  /** The other member of a direct conversation; null in a group. */
  receiverId: string | null;
  content: string;
  sentAt: Date;
  /** Set once, by the receiver; never changed afterwards. */
  readAt: Date | null;
  /** The sender's own id for this message, when it gave one: a retry with it returns this message. */
  clientMessageId?: string;
}

export type ConversationType = 'direct' | 'group';
export type MemberRole = 'owner' | 'admin' | 'member';

/** A conversation: direct (exactly two members, one per pair of users) or a group. */
export interface Conversation {
  id: string;
  type: ConversationType;
  /** A group's title; null for a direct conversation. */
  title: string | null;
  createdAt: Date;
  memberCount: number;
}

export interface ConversationMember {
  userId: string;
  name: string;
  username: string;
  role: MemberRole;
  joinedAt: Date;
}

/** A member's read cursor in a conversation and what it leaves unread. */
export interface ReadState {
  conversationId: string;
  userId: string;
  /** Every message up to this one is read for the member; null before their first read. */
  lastReadMessageId: string | null;
  lastReadAt: Date | null;
  unreadCount: number;
}

/** A conversation as one of its members sees it. */
export interface ConversationView extends Conversation {
  /** The first members by joining time (at most 100); the rest are paged separately. */
  members: ConversationMember[];
  lastMessage: Message | null;
  lastActivityAt: Date;
  /** The viewer's own state. */
  viewer: ReadState;
}

/** What changed in a conversation's title, members or roles. */
export type ConversationChangeType =
  'created' | 'renamed' | 'members_added' | 'member_removed' | 'member_left' | 'role_changed';

export interface ConversationChange {
  type: ConversationChangeType;
  /** Who made the change (for `member_left`, the member who left). */
  by: string;
  /** The members the change is about: added, removed, left, or whose role changed. */
  userIds?: string[];
}

/** Who has read a message (their read cursor passed it), and when their cursor last moved. */
export interface MessageReceipts {
  messageId: string;
  readBy: Array<{ userId: string; readAt: Date }>;
}

/** Where a page of the inbox ends: the next page starts after this conversation. */
export interface InboxPosition {
  lastActivityAt: number;
  conversationId: string;
}
