import type {
  ConversationType,
  ConversationView,
  MemberRole,
  Message,
  MessageReceipts,
} from '../domain/types.js';

/** A group as a membership rule sees it, read inside the change's transaction. */
export interface MembershipState {
  type: ConversationType;
  memberCount: number;
  /** The caller's role. */
  actorRole: MemberRole;
  /** The role of the member the change is about; undefined when they are not a member. */
  targetRole?: MemberRole | undefined;
}

/**
 * A service's rule for one change: throws (an `AppError`) to refuse it. Called inside the change's
 * transaction, after the caller's membership was found, so a rule never sees a state that another change
 * is about to replace.
 */
export type MembershipRule = (state: MembershipState) => void;

/** A member's own row of a conversation, with what a send to it needs. */
export interface Membership {
  conversationId: string;
  type: ConversationType;
  title: string | null;
  role: MemberRole;
}

export interface NewGroup {
  creatorId: string;
  title: string;
  /** The other members (not the creator), without duplicates, every one an existing user. */
  memberIds: readonly string[];
  now: Date;
}

/**
 * Groups: creation, title, members and roles. Permission rules are the caller's (`MembershipRule`); the
 * store reads the state they need and applies the change atomically.
 *
 * Contract (test/contract/group-contract.ts, on every implementation):
 * - A caller who is not a member of the conversation (or an id that names none) is refused with
 *   `AppError('CONVERSATION_NOT_FOUND')` before any rule runs; a rule's throw rejects the change and
 *   stores nothing.
 * - Membership changes of one group are serialized (on PostgreSQL with the advisory lock that orders
 *   message commits, across processes): a rule sees the state as it is when the change applies, and a
 *   message batch never interleaves with a change of the member rows it updates — so a new member's
 *   unread count is exact from the start.
 * - `addMembers` is idempotent: a user already a member is left as they are, also when two calls race;
 *   `member_count` grows by exactly the rows inserted and never passes `max` (`AppError('GROUP_FULL')`,
 *   nothing stored). A new member's read cursor is at the group's newest message (unread 0), and they
 *   see its whole history.
 * - `removeMember` deletes the member row (re-adding starts afresh); the owner leaving hands ownership to
 *   the longest-standing admin, else the longest-standing member; the last member leaving leaves the
 *   group with no members (its messages stay, nobody can reach them).
 * - `setMemberRole` with `owner` makes the target the owner and the old owner an admin, in one
 *   transaction: a group has exactly one owner while it has members.
 */
export interface GroupStore {
  /** Creates the group with the creator as owner and the others as members; resolves its id. */
  create(group: NewGroup): Promise<string>;
  /** Renames; resolves whether the title changed. */
  rename(conversationId: string, actorId: string, title: string, rule: MembershipRule): Promise<boolean>;
  /** Adds the users who are not members yet; resolves those added, in the order given. */
  addMembers(
    conversationId: string,
    actorId: string,
    userIds: readonly string[],
    options: { now: Date; max: number; rule: MembershipRule },
  ): Promise<string[]>;
  /**
   * Removes `targetId` (the caller themselves: leaving). `removed` false when they were not a member;
   * `newOwnerId` when the owner left and another member became owner.
   */
  removeMember(
    conversationId: string,
    actorId: string,
    targetId: string,
    rule: MembershipRule,
  ): Promise<{ removed: boolean; newOwnerId?: string }>;
  /** Sets the target's role; resolves the members whose role changed (target first). */
  setMemberRole(
    conversationId: string,
    actorId: string,
    targetId: string,
    role: MemberRole,
    rule: MembershipRule,
  ): Promise<string[]>;
  /** The ids of the groups the user is a member of. */
  groupIdsOf(userId: string): Promise<string[]>;
  /**
   * The user's membership of the conversation (direct or group) with the conversation's id, type and
   * title: one indexed row, read when asked (never cached), whatever the conversation's size; undefined
   * when they are not a member or the id names none.
   */
  membership(conversationId: string, userId: string): Promise<Membership | undefined>;
  /**
   * The conversation as nobody in particular sees it (the viewer's state empty: no cursor, nothing
   * unread); undefined for an unknown id. What a change is announced with.
   */
  neutralView(conversationId: string): Promise<ConversationView | undefined>;
  /** The members other than its sender whose read cursor passed the message. */
  receipts(message: Message): Promise<MessageReceipts>;
}
