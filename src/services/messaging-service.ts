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
    if (input.receiverId === sender.id) {
      throw new AppError('VALIDATION', 'receiverId must be another user');
    }
    const receiver = await users.require(input.receiverId, 'RECEIVER_NOT_FOUND');
    const { clientMessageId } = input;
    if (clientMessageId) {
      const earlier = await store.findByClientMessageId(sender.id, clientMessageId);
      if (earlier) return { payload: await this.alreadySent(sender, earlier), duplicate: true };
    }

    let stored: Message;
    try {
      stored = await store.insertMessage({
        senderId: sender.id,
        receiverId: receiver.id,
        content,
        sentAt: clock.now(),
        ...(clientMessageId ? { clientMessageId } : {}),
      });
    } catch (err) {
      // A concurrent retry with the same client id won the insert: answer with its message.
      // Deleted after it was read from the cache: not found after all, and gone from the cache.
      if (err instanceof AppError && err.code === 'RECEIVER_NOT_FOUND') {
        users.forget(receiver.id);
        throw err;
      }
      if (err instanceof AppError && err.code === 'DUPLICATE_MESSAGE' && clientMessageId) {
        const earlier = await store.findByClientMessageId(sender.id, clientMessageId);
        if (earlier) return { payload: await this.alreadySent(sender, earlier), duplicate: true };
      }
      this.deps.logger.error({ err, senderId: sender.id }, 'storing a message failed');
      throw new AppError('SEND_FAILED', undefined, { cause: err });
    }

    const message = toWireMessage(stored, { senderName: sender.name, receiverName: receiver.name });
    const sent: MessageSentPayload = { success: true, message };
    notifier.toUser(sender.id, 'message_sent', sent);
    notifier.toUser(receiver.id, 'receive_message', message);
    notifier.toUser(receiver.id, 'message_notification', {
      type: 'new_message',
      from: { _id: sender.id, name: sender.name },
      message: preview(content),
      timestamp: message.sentAt,
    });
    return { payload: sent, duplicate: false };
  }

  /**
   * A retry of a send that is already stored: the sender's sockets get `message_sent` for the stored
   * message again; the receiver, who was told the first time, is not told twice.
   */
  private async alreadySent(sender: User, earlier: Message): Promise<MessageSentPayload> {
    const receiver = await this.deps.users.require(earlier.receiverId);
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

  /** Page 1 is the newest `limit` messages; each page is returned oldest first. */
  async history(user: User, input: Omit<HistoryInput, 'otherUserId'> & { otherUserId: string }) {
    const { store, users, options, limits } = this.deps;
    await limits.consume('query', user.id);
    const other = await users.require(input.otherUserId);
    const page = input.page ?? 1;
    const limit = input.limit ?? options.defaultPageSize;
    const rows = await store.conversation(user.id, other.id, {
      offset: (page - 1) * limit,
      limit: limit + 1,
    });
    const hasMore = rows.length > limit;
    const messages = rows
      .slice(0, limit)
      .reverse()
      .map((m) => (m.senderId === user.id ? this.wire(m, user, other) : this.wire(m, other, user)));
    const payload: MessageHistoryPayload = {
      messages,
      otherUser: { _id: other.id, name: other.name },
      pagination: { page, limit, hasMore },
    };
    return payload;
  }

  /**
   * What a reconnecting client missed: the user's messages, sent or received, in every conversation,
   * with ids above `lastMessageId`, oldest first. Ids become visible in increasing order, so syncing from
   * the highest id received (live, from history or from sync) leaves no gap.
   */
  async sync(user: User, input: SyncInput): Promise<MissedMessagesPayload> {
    const { store, users, options, limits } = this.deps;
    await limits.consume('query', user.id);
    const limit = input.limit ?? options.defaultPageSize;
    const rows = await store.messagesSince(user.id, input.lastMessageId, limit + 1);
    const page = rows.slice(0, limit);
    const others = new Map<string, User>();
    for (const m of page) {
      const otherId = m.senderId === user.id ? m.receiverId : m.senderId;
      if (!others.has(otherId)) others.set(otherId, await users.require(otherId));
    }
    const messages = page.map((m) =>
      m.senderId === user.id
        ? this.wire(m, user, others.get(m.receiverId) as User)
        : this.wire(m, others.get(m.senderId) as User, user),
    );
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

  private wire(message: Message, sender: User, receiver: User): WireMessage {
    return toWireMessage(message, { senderName: sender.name, receiverName: receiver.name });
  }
}
