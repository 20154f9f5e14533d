import { AppError } from '../domain/errors.js';
import type { User } from '../domain/types.js';
import type { Notifier } from './ports.js';
import type { UserService } from './user-service.js';

/**
 * Typing indicators. `start` tells the receiver's sockets the typist is typing and (re)arms a timer; the
 * state ends with `stop`, after `timeoutMs` without a new `start`, or when the typist goes offline —
 * each ending tells the receiver `isTyping: false`.
 */
export class TypingService {
  /** typist id → receiver id → expiry timer */
  private readonly active = new Map<string, Map<string, NodeJS.Timeout>>();

  constructor(private readonly deps: { users: UserService; notifier: Notifier; timeoutMs: number }) {}

  async start(typist: User, receiverId: string): Promise<void> {
    const receiver = await this.receiver(typist, receiverId);
    let timers = this.active.get(typist.id);
    if (!timers) {
      timers = new Map();
      this.active.set(typist.id, timers);
    }
    clearTimeout(timers.get(receiver.id));
    const timer = setTimeout(() => this.end(typist, receiver.id), this.deps.timeoutMs);
    timer.unref();
    timers.set(receiver.id, timer);
    this.emit(typist, receiver.id, true);
  }

  async stop(typist: User, receiverId: string): Promise<void> {
    const receiver = await this.receiver(typist, receiverId);
    this.clear(typist.id, receiver.id);
    this.emit(typist, receiver.id, false);
  }

  /** The typist went offline: end every typing state they had. */
  stopAll(typist: User): void {
    const timers = this.active.get(typist.id);
    if (!timers) return;
    for (const receiverId of [...timers.keys()]) this.end(typist, receiverId);
  }

  close(): void {
    for (const timers of this.active.values()) for (const t of timers.values()) clearTimeout(t);
    this.active.clear();
  }

  private end(typist: User, receiverId: string): void {
    this.clear(typist.id, receiverId);
    this.emit(typist, receiverId, false);
  }

  private clear(typistId: string, receiverId: string): void {
    const timers = this.active.get(typistId);
    if (!timers) return;
    clearTimeout(timers.get(receiverId));
    timers.delete(receiverId);
    if (timers.size === 0) this.active.delete(typistId);
  }

  private emit(typist: User, receiverId: string, isTyping: boolean): void {
    this.deps.notifier.toUser(receiverId, 'typing_indicator', {
      userId: typist.id,
      userName: typist.name,
      isTyping,
    });
  }

  private async receiver(typist: User, receiverId: string): Promise<User> {
    if (receiverId === typist.id) throw new AppError('VALIDATION', 'receiverId must be another user');
    return this.deps.users.require(receiverId, 'RECEIVER_NOT_FOUND');
  }
}
