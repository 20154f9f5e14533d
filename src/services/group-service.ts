import { AppError, groupFull, unknownUser } from '../domain/errors.js';
import type { ConversationChange, ConversationView, MemberRole, User } from '../domain/types.js';
import type { MembershipRule, MembershipState } from '../store/group-store.js';
import type { Store } from '../store/store.js';
import type { ConversationService } from './conversation-service.js';
import type { EventBus } from './event-bus.js';
import type { Clock, RateLimiter } from './ports.js';

/** A group to create: `title` already trimmed and 1–100 characters; the creator need not be listed. */
export interface NewGroupInput {
  title: string;
  memberIds: readonly string[];
}

/** Refuses any change to a direct conversation: its two members and its (absent) title are fixed. */
const groupsOnly = (state: MembershipState) => {
  if (state.type === 'direct') throw new AppError('DIRECT_MEMBERSHIP');
};

/** Owner and admins. */
const managers: MembershipRule = (state) => {
  groupsOnly(state);
  if (state.actorRole === 'member') throw new AppError('ACCESS_DENIED');
};

/**
 * Groups: creating one, renaming it, adding and removing members, leaving, roles. Who may do what is
 * decided here, once for both transports, inside the store's transaction (`MembershipRule`):
 *
 * | change          | who                                                                        |
 * | --------------- | -------------------------------------------------------------------------- |
 * | create          | anyone (they become the owner)                                             |
 * | rename, add     | owner, admin                                                               |
 * | remove          | owner (anyone); admin (members only); anyone themselves (leaving)          |
 * | set role        | owner (`owner` hands ownership over: the old owner becomes an admin)      |
 *
 * Not a member (never, or no longer), or no such conversation: `Conversation not found`. Every change
 * is published as `conversation.changed` and acknowledged only once its subscribers are done with it
 * (the socket transport has moved the members' sockets in or out of the group's room by then).
 */
export class GroupService {
  constructor(
    private readonly deps: {
      store: Store;
      events: EventBus;
      clock: Clock;
      limits: RateLimiter;
      conversations: ConversationService;
      maxMembers: number;
    },
  ) {}

  /** Creates a group of the creator (owner) and `memberIds` (members); answers it as the creator sees it. */
  async create(user: User, input: NewGroupInput): Promise<ConversationView> {
    const { store, limits, clock, conversations, maxMembers } = this.deps;
    await limits.consume('groupCreate', user.id);
    const others = [...new Set(input.memberIds)].filter((id) => id !== user.id);
    if (1 + others.length > maxMembers) throw groupFull(maxMembers);
    const missing = await this.firstUnknown(others);
    if (missing !== undefined) throw unknownUser(missing);
    const id = await store.groups.create({
      creatorId: user.id,
      title: input.title,
      memberIds: others,
      now: clock.now(),
    });
    const members = [user.id, ...others];
    await this.move(id, { joined: members });
    await this.announce(id, { type: 'created', by: user.id, userIds: members }, { joined: members });
    return conversations.view(user, id);
  }

  /** Renames a group (owner, admin). */
  async rename(user: User, conversationId: string, title: string): Promise<ConversationView> {
    await this.deps.limits.consume('membership', user.id);
    const changed = await this.deps.store.groups.rename(conversationId, user.id, title, managers);
    if (changed) await this.announce(conversationId, { type: 'renamed', by: user.id }, {});
    return this.deps.conversations.view(user, conversationId);
  }

  /** Adds users (owner, admin); those already members are left as they are. */
  async addMembers(
    user: User,
    conversationId: string,
    userIds: readonly string[],
  ): Promise<ConversationView> {
    const { store, limits, clock, maxMembers, conversations } = this.deps;
    await limits.consume('membership', user.id);
    const ids = [...new Set(userIds)];
    const missing = await this.firstUnknown(ids);
    const added = await store.groups.addMembers(conversationId, user.id, ids, {
      now: clock.now(),
      max: maxMembers,
      // Unknown users are told only to a member who may add: nobody else learns anything.
      rule: (state) => {
        managers(state);
        if (missing !== undefined) throw unknownUser(missing);
      },
    });
    if (added.length > 0) {
      await this.move(conversationId, { joined: added });
      await this.announce(
        conversationId,
        { type: 'members_added', by: user.id, userIds: added },
        { joined: added },
      );
    }
    return conversations.view(user, conversationId);
  }

  /**
   * Removes a member, or the caller themselves (leaving). Removing someone who is not a member changes
   * nothing and answers as a removal would (a retried removal succeeds). The answer is the group as the
   * caller sees it afterwards; after leaving, as nobody in particular sees it.
   */
  async removeMember(user: User, conversationId: string, targetId: string): Promise<ConversationView> {
    const { store, limits, conversations } = this.deps;
    const leaving = targetId === user.id;
    // Leaving is never refused for going too fast.
    if (!leaving) await limits.consume('membership', user.id);
    const { removed, newOwnerId } = await store.groups.removeMember(
      conversationId,
      user.id,
      targetId,
      (state) => {
        groupsOnly(state);
        if (leaving || state.actorRole === 'owner') return;
        if (state.actorRole === 'member') throw new AppError('ACCESS_DENIED');
        // An admin removes members only: not the owner, not another admin.
        if (state.targetRole === 'owner' || state.targetRole === 'admin') throw new AppError('ACCESS_DENIED');
      },
    );
    // Not a member (any more): moved out again on a retry, whatever happened after the first call.
    await this.move(conversationId, { left: [targetId] });
    if (!removed) return conversations.view(user, conversationId);
    const change: ConversationChange = {
      type: leaving ? 'member_left' : 'member_removed',
      by: user.id,
      userIds: [targetId],
    };
    let neutral = await this.announce(conversationId, change, { left: [targetId] });
    // The owner left: the member who took over is announced as any change of role is.
    if (newOwnerId !== undefined) {
      const handedOver: ConversationChange = { type: 'role_changed', by: user.id, userIds: [newOwnerId] };
      neutral = await this.announce(conversationId, handedOver, {});
    }
    return leaving ? neutral : conversations.view(user, conversationId);
  }

  /** Sets a member's role (owner only); `owner` hands ownership over, the old owner becoming an admin. */
  async setMemberRole(
    user: User,
    conversationId: string,
    targetId: string,
    role: MemberRole,
  ): Promise<ConversationView> {
    const { store, limits, conversations } = this.deps;
    await limits.consume('membership', user.id);
    const changed = await store.groups.setMemberRole(conversationId, user.id, targetId, role, (state) => {
      groupsOnly(state);
      if (state.actorRole !== 'owner') throw new AppError('ACCESS_DENIED');
      if (state.targetRole === undefined) throw unknownUser(targetId);
      if (targetId === user.id) {
        throw new AppError('VALIDATION', 'the owner changes their role by making another member owner');
      }
    });
    if (changed.length > 0) {
      await this.announce(conversationId, { type: 'role_changed', by: user.id, userIds: changed }, {});
    }
    return conversations.view(user, conversationId);
  }

  /** The first of `ids` that names no user. */
  private async firstUnknown(ids: readonly string[]): Promise<string | undefined> {
    if (ids.length === 0) return undefined;
    const found = new Set((await this.deps.store.findUsersByIds(ids)).map((u) => u.id));
    return ids.find((id) => !found.has(id));
  }

  /** Moves the sockets of users who joined or left the group, and waits until they have moved. */
  private move(conversationId: string, moved: { joined?: string[]; left?: string[] }): Promise<void> {
    return this.deps.events.emitAndWait('members.moved', {
      conversationId,
      joined: moved.joined ?? [],
      left: moved.left ?? [],
    });
  }

  /** Publishes a committed change and waits until its subscribers are done; resolves the neutral view. */
  private async announce(
    conversationId: string,
    change: ConversationChange,
    moved: { joined?: string[]; left?: string[] },
  ): Promise<ConversationView> {
    const conversation = await this.deps.store.groups.neutralView(conversationId);
    if (!conversation) throw new AppError('CONVERSATION_NOT_FOUND');
    await this.deps.events.emitAndWait('conversation.changed', {
      conversation,
      change,
      joined: moved.joined ?? [],
      left: moved.left ?? [],
    });
    return conversation;
  }
}
