import { AppError } from '../domain/errors.js';
import type { Message, User } from '../domain/types.js';
import type { HistoryInput, SendMessageInput, SyncInput } from '../protocol/inputs.js';
import type {
  MessageHistoryPayload,
  MessageSentPayload,
  MissedMessagesPayload,
  UnreadCountPayload,
  WireMessage,
} from '../protocol/outputs.js';
import { preview, toWireMessage } from '../protocol/wire.js';
import type { Store } from '../store/store.js';
import type { Clock, Logger, Notifier, RateLimiter, SendObserver } from './ports.js';
import type { ConversationService } from './conversation-service.js';
import type { UserService } from './user-service.js';

export interface MessagingOptions {
  /** Longest accepted content, in characters (code points), after trimming. */
  maxContentLength: number;
  defaultPageSize: number;
}

/**
 * Sending, reading and paging direct messages. Every permission rule about messages lives here, once,
 * for both transports. A message is stored before any event about it is emitted.
 */
export class MessagingService {
  constructor(
    private readonly deps: {
      store: Store;
      users: UserService;
      notifier: Notifier;
      clock: Clock;
      logger: Logger;
      limits: RateLimiter;
      conversations: ConversationService;
      observer?: SendObserver;
      options: MessagingOptions;
    },
  ) {}

  /**
   * Stores then announces a message. Any failure that is not the client's (storage or Redis unreachable,
   * a bug) is logged and answered as `SEND_FAILED` (`Failed to send message`), on both transports.
   */
  async send(sender: User, input: SendMessageInput): Promise<MessageSentPayload> {
    const started = performance.now();
    const finished = (outcome: 'stored' | 'duplicate' | 'refused' | 'failed') =>
      this.deps.observer?.sendFinished((performance.now() - started) / 1000, outcome);
    try {
      const sent = await this.storeAndAnnounce(sender, input);
      finished(sent.duplicate ? 'duplicate' : 'stored');
      return sent.payload;
    } catch (err) {
      finished(err instanceof AppError && err.code !== 'SEND_FAILED' ? 'refused' : 'failed');
      if (err instanceof AppError) throw err;
      this.deps.logger.error({ err, senderId: sender.id }, 'sending a message failed');
      throw new AppError('SEND_FAILED', undefined, { cause: err });
    }
  }

  private async storeAndAnnounce(
    sender: User,
    input: SendMessageInput,
  ): Promise<{ payload: MessageSentPayload; duplicate: boolean }> {
    const { store, users, notifier, clock, options, limits } = this.deps;
    await limits.consume('send', sender.id);
    const { content } = input;
    if (content.length > options.maxContentLength && Array.from(content).length > options.maxContentLength) {
      throw new AppError('VALIDATION', `content must be at most ${options.maxContentLength} characters`);
    }
    const target = await this.target(sender, input);
    const { clientMessageId } = input;
    if (clientMessageId) {
      const earlier = await store.findByClientMessageId(sender.id, clientMessageId);
      if (earlier) return { payload: await this.alreadySent(sender, earlier), duplicate: true };
    }

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
        if (earlier) return { payload: await this.alreadySent(sender, earlier), duplicate: true };
      }
      this.deps.logger.error({ err, senderId: sender.id }, 'storing a message failed');
      throw new AppError('SEND_FAILED', undefined, { cause: err });
    }

    const message = toWireMessage(stored, {
      senderName: sender.name,
      receiverName: target.receiver?.name ?? null,
    });
    const sent: MessageSentPayload = { success: true, message };
    notifier.toUser(sender.id, 'message_sent', sent);
    notifier.toUsers(target.others, 'receive_message', message);
    notifier.toUsers(target.others, 'message_notification', {
      type: 'new_message',
      from: { _id: sender.id, name: sender.name },
      message: preview(content),
      timestamp: message.sentAt,
      conversationId: stored.conversationId,
      ...(target.title === null ? {} : { conversationTitle: target.title }),
    });
    return { payload: sent, duplicate: false };
  }

  /**
   * Where a send goes: a user's direct conversation (resolved by the store, created on first use) or a
   * conversation the sender is a member of.
   */
  private async target(
    sender: User,
    input: SendMessageInput,
  ): Promise<{ conversationId?: string; receiver: User | null; others: string[]; title: string | null }> {
    const { users, conversations } = this.deps;
    if (input.conversationId !== undefined) {
      const info = await conversations.forMember(sender, input.conversationId);
      const others = info.memberIds.filter((id) => id !== sender.id);
      const receiver =
        info.type === 'direct' && others[0] ? await users.require(others[0], 'RECEIVER_NOT_FOUND') : null;
      return { conversationId: info.id, receiver, others, title: info.title };
    }
    const receiverId = input.receiverId as string;
    if (receiverId === sender.id) throw new AppError('VALIDATION', 'receiverId must be another user');
    const receiver = await users.require(receiverId, 'RECEIVER_NOT_FOUND');
    return { receiver, others: [receiver.id], title: null };
  }

  /**
   * A retry of a send that is already stored: the sender's sockets get `message_sent` for the stored
   * message again; the receiver, who was told the first time, is not told twice.
   */
  private async alreadySent(sender: User, earlier: Message): Promise<MessageSentPayload> {
    const receiver = earlier.receiverId === null ? null : await this.deps.users.require(earlier.receiverId);
    const sent: MessageSentPayload = { success: true, message: this.wire(earlier, sender, receiver) };
    this.deps.notifier.toUser(sender.id, 'message_sent', sent);
    return sent;
  }

  /** Only the receiver may mark a message read; the first `readAt` is kept. */
  async markRead(reader: User, messageId: string): Promise<MessageSentPayload> {
    const { store, users, notifier, clock, limits } = this.deps;
    await limits.consume('read', reader.id);
    const found = await store.findMessage(messageId);
    if (!found) throw new AppError('MESSAGE_NOT_FOUND');
    if (found.receiverId !== reader.id) throw new AppError('ACCESS_DENIED');
    const updated = found.readAt ? found : await store.markRead(found.id, clock.now());
    if (!updated?.readAt) throw new AppError('MESSAGE_NOT_FOUND');

    const sender = await users.require(updated.senderId);
    const message = this.wire(updated, sender, reader);
    notifier.toUser(sender.id, 'message_read', {
      messageId: message._id,
      readBy: { _id: reader.id, name: reader.name },
      readAt: updated.readAt.toISOString(),
    });
    const confirmed: MessageSentPayload = { success: true, message };
    notifier.toUser(reader.id, 'message_read_confirmed', confirmed);
    return confirmed;
  }

  /**
   * A page of history, oldest first: of the direct conversation with `otherUserId` or of
   * `conversationId`; by `page` (1 = the newest `limit`) or by message id (`before` / `after`).
   */
  async history(user: User, input: HistoryInput): Promise<MessageHistoryPayload> {
    const { store, users, options, limits, conversations } = this.deps;
    const limit = input.limit ?? options.defaultPageSize;
    const cursor = input.before !== undefined || input.after !== undefined;
    const paging = { before: input.before, after: input.after, limit };
    if (input.conversationId !== undefined) {
      const found = cursor
        ? await conversations.messages(user, { conversationId: input.conversationId, ...paging })
        : await this.byPage(user, input.conversationId, input.page ?? 1, limit);
      const { conversation, messages, hasMore } = found;
      const other =
        conversation.type === 'direct' ? conversation.members.find((m) => m.userId !== user.id) : undefined;
      const names = new Map(conversation.members.map((m) => [m.userId, m.name]));
      return {
        messages: await this.wireAll(messages, names),
        conversationId: conversation.id,
        ...(other ? { otherUser: { _id: other.userId, name: other.name } } : {}),
        hasMore,
        pagination: { ...(cursor ? {} : { page: input.page ?? 1 }), limit, hasMore },
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
      messages: await this.wireAll(page.messages, names),
      ...(conversationId === undefined ? {} : { conversationId }),
      otherUser: { _id: other.id, name: other.name },
      hasMore: page.hasMore,
      pagination: { ...(cursor ? {} : { page: input.page ?? 1 }), limit, hasMore: page.hasMore },
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
  async sync(user: User, input: SyncInput): Promise<MissedMessagesPayload> {
    const { store, options, limits } = this.deps;
    await limits.consume('query', user.id);
    const limit = input.limit ?? options.defaultPageSize;
    const rows = await store.messagesSince(user.id, input.lastMessageId, limit + 1);
    const page = rows.slice(0, limit);
    const messages = await this.wireAll(page, new Map([[user.id, user.name]]));
    return {
      messages,
      hasMore: rows.length > limit,
      lastMessageId: page.at(-1)?.id ?? input.lastMessageId,
    };
  }

  async unreadCount(user: User): Promise<UnreadCountPayload> {
    await this.deps.limits.consume('query', user.id);
    return { count: await this.deps.store.countUnread(user.id) };
  }

  private wire(message: Message, sender: User, receiver: User | null): WireMessage {
    return toWireMessage(message, { senderName: sender.name, receiverName: receiver?.name ?? null });
  }

  /** Messages on the wire, with names from `names` or else the user cache. */
  private async wireAll(messages: Message[], names: Map<string, string>): Promise<WireMessage[]> {
    const nameOf = async (id: string) => {
      let name = names.get(id);
      if (name === undefined) {
        name = (await this.deps.users.get(id))?.name ?? '';
        names.set(id, name);
      }
      return name;
    };
    const wired: WireMessage[] = [];
    for (const m of messages) {
      const senderName = await nameOf(m.senderId);
      const receiverName = m.receiverId === null ? null : await nameOf(m.receiverId);
      wired.push(toWireMessage(m, { senderName, receiverName }));
    }
    return wired;
  }
}
