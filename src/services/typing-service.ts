import { AppError } from '../domain/errors.js';
import type { User } from '../domain/types.js';
import type { TypingState } from '../presence/typing-state.js';
import type { Logger, Notifier, RateLimiter } from './ports.js';
import type { UserService } from './user-service.js';

/**
 * Typing indicators. `start` tells every socket of the receiver that the typist is typing and (re)arms
 * the state's expiry; the state ends with `stop`, after `timeoutMs` without a new `start` (found by a
 * sweep every quarter of the timeout), or when the typist goes offline — each ending tells the receiver
 * `isTyping: false`.
 */
export class TypingService {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      state: TypingState;
      users: UserService;
      notifier: Notifier;
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

  async begin(typist: User, receiverId: string): Promise<void> {
    const receiver = await this.receiver(typist, receiverId);
    await this.deps.state.start(typist.id, receiver.id, this.deps.timeoutMs);
    this.emit(typist, receiver.id, true);
  }

  async end(typist: User, receiverId: string): Promise<void> {
    const receiver = await this.receiver(typist, receiverId);
    await this.deps.state.stop(typist.id, receiver.id);
    this.emit(typist, receiver.id, false);
  }

  /** The typist went offline: end every typing state they had. */
  async endAll(typist: User): Promise<void> {
    for (const receiverId of await this.deps.state.stopAll(typist.id)) this.emit(typist, receiverId, false);
  }

  /** Ends the states that expired (on any process, when the state is shared). */
  async sweep(): Promise<void> {
    for (const { typistId, receiverId } of await this.deps.state.expired()) {
      const typist = await this.deps.users.get(typistId);
      if (typist) this.emit(typist, receiverId, false);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.deps.state.close();
  }

  private emit(typist: User, receiverId: string, isTyping: boolean): void {
    this.deps.notifier.toUser(receiverId, 'typing_indicator', {
      userId: typist.id,
      userName: typist.name,
      isTyping,
    });
  }

  private async receiver(typist: User, receiverId: string): Promise<User> {
    await this.deps.limits.consume('typing', typist.id);
    if (receiverId === typist.id) throw new AppError('VALIDATION', 'receiverId must be another user');
    return this.deps.users.require(receiverId, 'RECEIVER_NOT_FOUND');
  }
}
