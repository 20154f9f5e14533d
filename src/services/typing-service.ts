import { AppError } from '../domain/errors.js';
import type { ConversationType, User } from '../domain/types.js';
import type { TypingState } from '../presence/typing-state.js';
import type { Store } from '../store/store.js';
import type { ConversationService } from './conversation-service.js';
import type { EventBus } from './event-bus.js';
import type { Clock, Logger, RateLimiter } from './ports.js';
import type { UserService } from './user-service.js';

/** Where someone types: a user (their direct conversation) or a conversation. */
export interface TypingTarget {
  receiverId?: string | undefined;
  conversationId?: string | undefined;
}

/**
 * Typing indicators, per conversation, published as `typing.changed`. `start` tells the conversation's
 * other members that the typist is typing and (re)arms the state's expiry; the state ends with `stop`, after
 * `timeoutMs` without a new `start` (found by a sweep every quarter of the timeout), or when the typist
 * goes offline — each ending tells them `isTyping: false`.
 */
export class TypingService {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      state: TypingState;
      users: UserService;
      conversations: ConversationService;
      store: Store;
      clock: Clock;
      events: EventBus;
      logger: Logger;
      limits: RateLimiter;
      timeoutMs: number;
    },
  ) {}

  /** Starts the sweep that ends expired states. */
  start(): void {
    const interval = Math.min(1000, Math.max(50, Math.floor(this.deps.timeoutMs / 4)));
    this.timer ??= setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.logger.warn({ err }, 'typing sweep failed'));
    }, interval);
    this.timer.unref();
  }

  async begin(typist: User, target: TypingTarget): Promise<void> {
    const { conversationId, type, others } = await this.conversation(typist, target);
    await this.deps.state.start(typist.id, conversationId, this.deps.timeoutMs);
    this.emit(typist, { id: conversationId, type }, others, true);
  }

  async end(typist: User, target: TypingTarget): Promise<void> {
    const { conversationId, type, others } = await this.conversation(typist, target);
    await this.deps.state.stop(typist.id, conversationId);
    this.emit(typist, { id: conversationId, type }, others, false);
  }

  /** The typist went offline: end every typing state they had. */
  async endAll(typist: User): Promise<void> {
    for (const conversationId of await this.deps.state.stopAll(typist.id)) {
      await this.endedIn(typist, conversationId);
    }
  }

  /** Ends the states that expired (on any process, when the state is shared). */
  async sweep(): Promise<void> {
    for (const { typistId, conversationId } of await this.deps.state.expired()) {
      const typist = await this.deps.users.get(typistId);
      if (typist) await this.endedIn(typist, conversationId);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.deps.state.close();
  }

  /** Tells the conversation's other members (as they are now) that the typist stopped. */
  private async endedIn(typist: User, conversationId: string): Promise<void> {
    const info = await this.deps.conversations.info(conversationId);
    if (!info) return;
    const others = info.memberIds.filter((id) => id !== typist.id);
    this.emit(typist, info, others, false);
  }

  private emit(
    typist: User,
    conversation: { id: string; type: ConversationType },
    recipientIds: string[],
    isTyping: boolean,
  ): void {
    if (recipientIds.length === 0) return;
    this.deps.events.emit('typing.changed', {
      typist,
      conversationId: conversation.id,
      conversationType: conversation.type,
      recipientIds,
      isTyping,
    });
  }

  /**
   * The conversation typed in: `conversationId` (the typist must be a member), or the direct
   * conversation with `receiverId` (created on first use, as a first message would).
   */
  private async conversation(
    typist: User,
    target: TypingTarget,
  ): Promise<{ conversationId: string; type: ConversationType; others: string[] }> {
    const { limits, conversations, users, store, clock } = this.deps;
    await limits.consume('typing', typist.id);
    if (target.conversationId !== undefined) {
      const info = await conversations.forMember(typist, target.conversationId);
      return {
        conversationId: info.id,
        type: info.type,
        others: info.memberIds.filter((id) => id !== typist.id),
      };
    }
    const receiverId = target.receiverId as string;
    if (receiverId === typist.id) throw new AppError('VALIDATION', 'receiverId must be another user');
    const receiver = await users.require(receiverId, 'RECEIVER_NOT_FOUND');
    try {
      const { id } = await store.openDirect(typist.id, receiver.id, clock.now());
      return { conversationId: id, type: 'direct', others: [receiver.id] };
    } catch (err) {
      // Deleted since it was cached: not found after all, and gone from the cache.
      if (!(err instanceof AppError && err.code === 'USER_NOT_FOUND')) throw err;
      users.forget(receiver.id);
      throw new AppError('RECEIVER_NOT_FOUND');
    }
  }
}
