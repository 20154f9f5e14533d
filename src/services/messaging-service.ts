import { AppError } from '../domain/errors.js';
import type { ConversationType, Message, User } from '../domain/types.js';
import type { Store } from '../store/store.js';
import type { EventBus } from './event-bus.js';
import type { Clock, Logger, RateLimiter, SendObserver } from './ports.js';
import type { ConversationService } from './conversation-service.js';
import { readInGroup, withViewerReads } from './group-reads.js';
import { applyBeforeSend, checkContentLength, type BeforeSend } from './send-policy.js';
import type { UserService } from './user-service.js';
import {
  named,
  namedAll,
  type HistoryPage,
  type HistoryQuery,
  type NamedMessage,
  type SendInput,
  type SyncPage,
  type SyncQuery,
} from './message-types.js';

export interface MessagingOptions {
  /** Longest accepted content, in characters (code points), after trimming. */
  maxContentLength: number;
  defaultPageSize: number;
}

/**
 * Where a send goes: the conversation (unless a direct one resolved by the store), its other members (in
 * a group only when something reads them: `ConversationService.forSender`).
 */
interface Target {
  conversationId?: string;
  type: ConversationType;
  receiver: User | null;
  others: string[];
  title: string | null;
}

/**
 * Sending, reading and paging messages. Every permission rule about messages lives here, once, for both
 * transports. A message is stored before any event about it is published (`message.stored`,
 * `message.resent`, `message.read` on the event bus).
 */
export class MessagingService {
  constructor(
    private readonly deps: {
      store: Store;
      users: UserService;
      events: EventBus;
      clock: Clock;
      logger: Logger;
      limits: RateLimiter;
      conversations: ConversationService;
      observer?: SendObserver;
      /** The host's say on each message before it is stored (library mode). */
      beforeSend?: BeforeSend;
      options: MessagingOptions;
    },
  ) {}

  /**
   * Stores then announces a message. Any failure that is not the client's (storage or Redis unreachable,
   * a failing `beforeSend`, a bug) is logged and answered as `SEND_FAILED` (`Failed to send message`).
   */
  async send(sender: User, input: SendInput): Promise<NamedMessage> {
    const started = performance.now();
    const finished = (outcome: 'stored' | 'duplicate' | 'refused' | 'failed') =>
      this.deps.observer?.sendFinished((performance.now() - started) / 1000, outcome);
    try {
      const sent = await this.storeAndAnnounce(sender, input);
      finished(sent.duplicate ? 'duplicate' : 'stored');
      return sent.named;
    } catch (err) {
      finished(err instanceof AppError && err.code !== 'SEND_FAILED' ? 'refused' : 'failed');
      if (err instanceof AppError) throw err;
      this.deps.logger.error({ err, senderId: sender.id }, 'sending a message failed');
      throw new AppError('SEND_FAILED', undefined, { cause: err });
    }
  }

  private async storeAndAnnounce(
    sender: User,
    input: SendInput,
  ): Promise<{ named: NamedMessage; duplicate: boolean }> {
    const { store, users, events, clock, options, limits, logger, beforeSend } = this.deps;
    await limits.consume('send', sender.id);
    checkContentLength(input.content, options.maxContentLength);
    const target = await this.target(sender, input);
    const { clientMessageId } = input;
    if (clientMessageId) {
      const earlier = await store.findByClientMessageId(sender.id, clientMessageId);
      if (earlier) return { named: await this.alreadySent(sender, earlier), duplicate: true };
    }
    const content = beforeSend
      ? await this.approved(beforeSend, sender, input.content, target)
      : input.content;

    let stored: Message;
    try {
      stored = await store.insertMessage({
        senderId: sender.id,
        receiverId: target.receiver?.id ?? null,
        ...(target.conversationId === undefined ? {} : { conversationId: target.conversationId }),
        content,
        sentAt: clock.now(),
        ...(clientMessageId ? { clientMessageId } : {}),
      });
    } catch (err) {
      // Deleted after it was read from the cache: not found after all, and gone from the cache.
      if (err instanceof AppError && err.code === 'RECEIVER_NOT_FOUND') {
        if (target.receiver) {
          users.forget(target.receiver.id);
          this.deps.conversations.forgetUser(target.receiver.id);
        }
        throw err;
      }
      // A concurrent retry with the same client id won the insert: answer with its message.
      if (err instanceof AppError && err.code === 'DUPLICATE_MESSAGE' && clientMessageId) {
        const earlier = await store.findByClientMessageId(sender.id, clientMessageId);
        if (earlier) return { named: await this.alreadySent(sender, earlier), duplicate: true };
      }
      logger.error({ err, senderId: sender.id }, 'storing a message failed');
      throw new AppError('SEND_FAILED', undefined, { cause: err });
    }

    events.emit('message.stored', {
      message: stored,
      sender,
      receiver: target.receiver,
      recipientIds: target.others,
      conversationTitle: target.title,
      conversationType: target.type,
    });
    return { named: named(stored, sender, target.receiver), duplicate: false };
  }

  /** Where a send goes: a user's direct conversation (created on first use) or one the sender is in. */
  private async target(sender: User, input: SendInput): Promise<Target> {
    const { users, conversations } = this.deps;
    if (input.conversationId !== undefined) {
      // A group's members only for those who read them: the socket transport reaches the group's room.
      const withMembers = this.deps.beforeSend !== undefined || this.deps.events.wantsGroupRecipients();
      const info = await conversations.forSender(sender, input.conversationId, withMembers);
      const others = info.memberIds.filter((id) => id !== sender.id);
      const receiver =
        info.type === 'direct' && others[0] ? await users.require(others[0], 'RECEIVER_NOT_FOUND') : null;
      return { conversationId: info.id, type: info.type, receiver, others, title: info.title };
    }
    const receiverId = input.receiverId as string;
    if (receiverId === sender.id) throw new AppError('VALIDATION', 'receiverId must be another user');
    const receiver = await users.require(receiverId, 'RECEIVER_NOT_FOUND');
    return { type: 'direct', receiver, others: [receiver.id], title: null };
  }

  /** The content `beforeSend` lets through, told which conversation (when it exists yet). */
  private async approved(
    beforeSend: BeforeSend,
    sender: User,
    content: string,
    target: Target,
  ): Promise<string> {
    const { store, options, logger } = this.deps;
    const conversationId =
      target.conversationId ??
      (target.receiver ? await store.findDirect(sender.id, target.receiver.id) : undefined);
    const draft = {
      sender,
      content,
      ...(conversationId === undefined ? {} : { conversationId }),
      receiver: target.receiver,
      recipientIds: target.others,
    };
    return applyBeforeSend(beforeSend, draft, { maxLength: options.maxContentLength, logger });
  }

  /**
   * A retry of a send that is already stored: `message.resent` (the sender's sockets get the stored
   * message again); the receiver, who was told the first time, is not told twice.
   */
  private async alreadySent(sender: User, earlier: Message): Promise<NamedMessage> {
    const receiver = earlier.receiverId === null ? null : await this.deps.users.require(earlier.receiverId);
    this.deps.events.emit('message.resent', { message: earlier, sender, receiver });
    return named(earlier, sender, receiver);
  }

  /**
   * In a direct conversation only the receiver may mark a message read; the first `readAt` is kept. In a
   * group any member may: their read cursor moves up to the message (`conversation.read`), and `readAt`
   * is when it got there. Not a member: `Message not found`.
   */
  async markRead(reader: User, messageId: string): Promise<NamedMessage> {
    const { store, users, events, clock, limits, conversations } = this.deps;
    await limits.consume('read', reader.id);
    const found = await store.findMessage(messageId);
    if (!found) throw new AppError('MESSAGE_NOT_FOUND');
    if (found.receiverId === null) {
      const state = await readInGroup(conversations, reader, found);
      const sender = await users.require(found.senderId);
      const message = { ...found, readAt: state.lastReadAt ?? clock.now() };
      events.emit('message.read', { message, sender, reader, conversationType: 'group' });
      return named(message, sender, null);
    }
    if (found.receiverId !== reader.id) throw new AppError('ACCESS_DENIED');
    const updated = found.readAt ? found : await store.markRead(found.id, clock.now());
    if (!updated?.readAt) throw new AppError('MESSAGE_NOT_FOUND');

    const sender = await users.require(updated.senderId);
    const message = { ...updated, readAt: updated.readAt };
    events.emit('message.read', { message, sender, reader, conversationType: 'direct' });
    return named(message, sender, reader);
  }

  /**
   * A page of history, oldest first: of the direct conversation with `otherUserId` or of
   * `conversationId`; by `page` (1 = the newest `limit`) or by message id (`before` / `after`).
   */
  async history(user: User, input: HistoryQuery): Promise<HistoryPage> {
    const { store, users, options, limits, conversations } = this.deps;
    const limit = input.limit ?? options.defaultPageSize;
    const cursor = input.before !== undefined || input.after !== undefined;
    const paging = { before: input.before, after: input.after, limit };
    const pageMode = cursor ? {} : { page: input.page ?? 1 };
    if (input.conversationId !== undefined) {
      const found = cursor
        ? await conversations.messages(user, { conversationId: input.conversationId, ...paging })
        : await this.byPage(user, input.conversationId, input.page ?? 1, limit);
      const { conversation, messages, hasMore } = found;
      const other =
        conversation.type === 'direct' ? conversation.members.find((m) => m.userId !== user.id) : undefined;
      const names = new Map(conversation.members.map((m) => [m.userId, m.name]));
      const seen = conversation.type === 'group' ? withViewerReads(messages, conversation.viewer) : messages;
      return {
        messages: await namedAll(this.deps.users, seen, names),
        conversationId: conversation.id,
        ...(other ? { otherUser: { id: other.userId, name: other.name } } : {}),
        hasMore,
        ...pageMode,
        limit,
      };
    }
    await limits.consume('query', user.id);
    const other = await users.require(input.otherUserId as string);
    const names = new Map([
      [user.id, user.name],
      [other.id, other.name],
    ]);
    const conversationId = await store.findDirect(user.id, other.id);
    let page: { messages: Message[]; hasMore: boolean } = { messages: [], hasMore: false };
    if (conversationId !== undefined && cursor) page = await conversations.page(conversationId, paging);
    else if (conversationId !== undefined) page = await this.pageOf(conversationId, input.page ?? 1, limit);
    return {
      messages: await namedAll(this.deps.users, page.messages, names),
      ...(conversationId === undefined ? {} : { conversationId }),
      otherUser: { id: other.id, name: other.name },
      hasMore: page.hasMore,
      ...pageMode,
      limit,
    };
  }

  private async byPage(user: User, conversationId: string, page: number, limit: number) {
    await this.deps.limits.consume('query', user.id);
    const conversation = await this.deps.conversations.view(user, conversationId);
    return { conversation, ...(await this.pageOf(conversation.id, page, limit)) };
  }

  /** Page `page` (1 = newest) of a conversation by offset, oldest first. */
  private async pageOf(conversationId: string, page: number, limit: number) {
    const rows = await this.deps.store.conversationMessages(conversationId, {
      offset: (page - 1) * limit,
      limit: limit + 1,
    });
    return { messages: rows.slice(0, limit).reverse(), hasMore: rows.length > limit };
  }

  /**
   * What a reconnecting client missed: the user's messages, sent or received, in every conversation,
   * with ids above `lastMessageId`, oldest first. Ids become visible in increasing order, so syncing from
   * the highest id received (live, from history or from sync) leaves no gap.
   */
  async sync(user: User, input: SyncQuery): Promise<SyncPage> {
    const { store, options, limits } = this.deps;
    await limits.consume('query', user.id);
    const limit = input.limit ?? options.defaultPageSize;
    const rows = await store.messagesSince(user.id, input.lastMessageId, limit + 1);
    const page = rows.slice(0, limit);
    return {
      messages: await namedAll(this.deps.users, page, new Map([[user.id, user.name]])),
      hasMore: rows.length > limit,
      lastMessageId: page.at(-1)?.id ?? input.lastMessageId,
    };
  }

  /** How many messages others sent the user that they have not read, across all conversations. */
  async unreadCount(user: User): Promise<number> {
    await this.deps.limits.consume('query', user.id);
    return this.deps.store.countUnread(user.id);
  }
}
