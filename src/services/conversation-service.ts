import { LRUCache } from 'lru-cache';
import { AppError } from '../domain/errors.js';
import type {
  ConversationMember,
  ConversationView,
  InboxPosition,
  Message,
  MessageReceipts,
  ReadState,
  User,
} from '../domain/types.js';
import type { ConversationInfo, Store } from '../store/store.js';
import type { EventBus } from './event-bus.js';
import { receiptsOf } from './group-reads.js';
import type { Clock, RateLimiter } from './ports.js';
import type { UserService } from './user-service.js';

export const INBOX_PAGE_SIZE = 20;
export const MEMBERS_PAGE_SIZE = 100;

/** The members cursor: the last member of a page, as `<joinedAt ms>.<user id>`. */
export const memberCursor = {
  format: (member: ConversationMember): string => `${member.joinedAt.getTime()}.${member.userId}`,
  parse: (cursor: string): { joinedAt: number; userId: string } => {
    const match = /^(\d{1,15})\.([1-9]\d{0,14})$/.exec(cursor);
    if (!match) throw new AppError('VALIDATION', 'cursor is not valid');
    return { joinedAt: Number(match[1]), userId: match[2] as string };
  },
};

/** The inbox cursor: the last conversation of a page, as `<lastActivityAt ms>.<conversation id>`. */
export const inboxCursor = {
  format: (view: ConversationView): string => `${view.lastActivityAt.getTime()}.${view.id}`,
  parse: (cursor: string): InboxPosition => {
    const match = /^(\d{1,15})\.([1-9]\d{0,14})$/.exec(cursor);
    if (!match) throw new AppError('VALIDATION', 'cursor is not valid');
    return { lastActivityAt: Number(match[1]), conversationId: match[2] as string };
  },
};

/**
 * Conversations as their members see them: the inbox, one conversation, opening a direct one, read
 * cursors and paging a conversation's messages. Not a member and no such conversation are one answer,
 * `Conversation not found`, so ids reveal nothing.
 */
export class ConversationService {
  /** Direct conversations' members never change: kept to route sends without a query. */
  private readonly directInfo = new LRUCache<string, ConversationInfo>({ max: 100_000 });

  constructor(
    private readonly deps: {
      store: Store;
      users: UserService;
      events: EventBus;
      clock: Clock;
      limits: RateLimiter;
    },
  ) {}

  async list(
    user: User,
    input: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ conversations: ConversationView[]; nextCursor: string | null }> {
    await this.deps.limits.consume('query', user.id);
    const limit = input.limit ?? INBOX_PAGE_SIZE;
    const after = input.cursor === undefined ? undefined : inboxCursor.parse(input.cursor);
    const rows = await this.deps.store.inbox(user.id, { limit: limit + 1, ...(after ? { after } : {}) });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { conversations: page, nextCursor: rows.length > limit && last ? inboxCursor.format(last) : null };
  }

  async get(user: User, conversationId: string): Promise<ConversationView> {
    await this.deps.limits.consume('query', user.id);
    return this.view(user, conversationId);
  }

  /**
   * A page of the conversation's members in joining order (for a member), `limit` default and at most
   * 100; `nextCursor` continues it, null at the end.
   */
  async members(
    user: User,
    conversationId: string,
    input: { limit?: number | undefined; cursor?: string | undefined },
  ): Promise<{ members: ConversationMember[]; nextCursor: string | null }> {
    await this.deps.limits.consume('query', user.id);
    const info = await this.forMember(user, conversationId);
    const limit = input.limit ?? MEMBERS_PAGE_SIZE;
    const after = input.cursor === undefined ? undefined : memberCursor.parse(input.cursor);
    const rows = await this.deps.store.conversationMembers(info.id, {
      limit: limit + 1,
      ...(after ? { after } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { members: page, nextCursor: rows.length > limit && last ? memberCursor.format(last) : null };
  }

  /** The pair's direct conversation, created on first use; `created` tells a new one. */
  async openDirect(
    user: User,
    otherUserId: string,
  ): Promise<{ conversation: ConversationView; created: boolean }> {
    const { store, users, limits, clock } = this.deps;
    await limits.consume('query', user.id);
    if (otherUserId === user.id) throw new AppError('VALIDATION', 'userId must be another user');
    const other = await users.require(otherUserId, 'USER_NOT_FOUND');
    const { id, created } = await store.openDirect(user.id, other.id, clock.now());
    return { conversation: await this.view(user, id), created };
  }

  /**
   * Moves the reader's cursor (default: to the newest message) and publishes `conversation.read`: the
   * reader is told on every call (with their unread count), the other members when the cursor moved.
   */
  async markRead(user: User, conversationId: string, messageId?: string): Promise<ReadState> {
    await this.deps.limits.consume('read', user.id);
    return this.moveCursor(user, conversationId, messageId);
  }

  /** `markRead` without the rate limit: for a caller that counted the call already. */
  async moveCursor(user: User, conversationId: string, messageId?: string): Promise<ReadState> {
    const { store, events, clock } = this.deps;
    const result = await store.markConversationRead(conversationId, user.id, messageId, clock.now());
    if (!result) throw new AppError('CONVERSATION_NOT_FOUND');
    const { state, moved } = result;
    const info = await this.info(conversationId);
    const otherMemberIds = info?.memberIds.filter((id) => id !== user.id) ?? [];
    const conversationType = info?.type ?? 'direct';
    events.emit('conversation.read', { state, moved, otherMemberIds, conversationType });
    return state;
  }

  /**
   * A page of the conversation by message id, oldest first: `before` → the newest `limit` older than it;
   * `after` → the oldest `limit` newer than it; neither → the newest `limit`. `hasMore`: more in the
   * direction paged.
   */
  async messages(
    user: User,
    input: { conversationId: string; before?: string | undefined; after?: string | undefined; limit: number },
  ): Promise<{ conversation: ConversationView; messages: Message[]; hasMore: boolean }> {
    await this.deps.limits.consume('query', user.id);
    const conversation = await this.view(user, input.conversationId);
    return { conversation, ...(await this.page(conversation.id, input)) };
  }

  /** A page of a conversation the caller is known to be a member of (see `messages`). */
  async page(
    conversationId: string,
    input: { before?: string | undefined; after?: string | undefined; limit: number },
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    const rows = await this.deps.store.conversationMessages(conversationId, {
      ...(input.before === undefined ? {} : { before: input.before }),
      ...(input.after === undefined ? {} : { after: input.after }),
      limit: input.limit + 1,
    });
    const hasMore = rows.length > input.limit;
    const page = rows.slice(0, input.limit);
    return { messages: input.after === undefined ? page.reverse() : page, hasMore };
  }

  /** The conversation's type, title and members, for a member; `Conversation not found` otherwise. */
  async forMember(user: User, conversationId: string): Promise<ConversationInfo> {
    const info = await this.info(conversationId);
    if (!info?.memberIds.includes(user.id)) throw new AppError('CONVERSATION_NOT_FOUND');
    return info;
  }

  /**
   * Where a member's send goes. A direct conversation: its two members (cached once read). A group: its
   * type and title from the sender's own membership row — one indexed read, never cached, so a removal
   * on any process refuses the next send — and its members only `withMembers` (a `beforeSend` or a
   * subscriber that reads them); without, `memberIds` is empty: the message reaches the group through
   * its room. Not a member: `Conversation not found`.
   */
  async forSender(user: User, conversationId: string, withMembers: boolean): Promise<ConversationInfo> {
    const direct = this.directInfo.get(conversationId);
    if (direct) {
      if (!direct.memberIds.includes(user.id)) throw new AppError('CONVERSATION_NOT_FOUND');
      return direct;
    }
    const membership = await this.deps.store.groups.membership(conversationId, user.id);
    if (!membership) throw new AppError('CONVERSATION_NOT_FOUND');
    if (membership.type === 'direct' || withMembers) return this.forMember(user, conversationId);
    return { id: membership.conversationId, type: 'group', title: membership.title, memberIds: [] };
  }

  /** The groups the user is a member of: the rooms their sockets join. */
  groupIds(user: User): Promise<string[]> {
    return this.deps.store.groups.groupIdsOf(user.id);
  }

  /** Who has read a message the caller sent (see `receiptsOf`). */
  receipts(user: User, messageId: string): Promise<MessageReceipts> {
    return receiptsOf({ ...this.deps, conversations: this }, user, messageId);
  }

  /** Forgets what is cached about a user's conversations (the user was deleted). */
  forgetUser(userId: string): void {
    for (const [id, info] of this.directInfo.entries()) {
      if (info.memberIds.includes(userId)) this.directInfo.delete(id);
    }
  }

  /** A conversation's type, title and members (direct ones cached). */
  async info(conversationId: string): Promise<ConversationInfo | undefined> {
    const cached = this.directInfo.get(conversationId);
    if (cached) return cached;
    const info = await this.deps.store.conversationInfo(conversationId);
    if (info?.type === 'direct') this.directInfo.set(conversationId, info);
    return info;
  }

  /** The conversation as the user sees it; `Conversation not found` when they are not a member. */
  async view(user: User, conversationId: string): Promise<ConversationView> {
    const view = await this.deps.store.conversationFor(conversationId, user.id);
    if (!view) throw new AppError('CONVERSATION_NOT_FOUND');
    return view;
  }
}
