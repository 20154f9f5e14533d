import type { User } from '../domain/types.js';
import type { Presence } from '../presence/presence.js';
import type { Store } from '../store/store.js';
import type { EventBus } from './event-bus.js';
import type { Clock, Logger } from './ports.js';
import type { TypingService } from './typing-service.js';
import type { UserService } from './user-service.js';

/**
 * Who hears about whom: `all` (the spec's behaviour) tells every user about every other; `contacts` only
 * about users they share a conversation with — O(contacts) per connection instead of O(online users).
 */
export type PresenceScope = 'all' | 'contacts';

/**
 * Online status. A user comes online with their first connection and goes offline with their last, on
 * any process; `presence.changed` is published on those transitions only, never per tab (every connection
 * publishes `connection.opened` / `connection.closed`).
 * Users of a process that died are found by `sweep` once their presence entries expire.
 */
export class PresenceService {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: {
      presence: Presence;
      store: Store;
      users: UserService;
      typing: TypingService;
      events: EventBus;
      clock: Clock;
      logger: Logger;
      scope: PresenceScope;
    },
  ) {}

  /** Sweeps for expired users every `intervalMs`. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.logger.warn({ err }, 'presence sweep failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /**
   * Records a new connection and returns the other users online (in scope): whom the new connection is
   * told about.
   */
  async connected(user: User, connectionId: string): Promise<User[]> {
    const { presence, store, users, clock, logger, scope, events } = this.deps;
    events.emit('connection.opened', { user, connectionId });
    const cameOnline = await presence.connect(user.id, connectionId);
    const contacts = scope === 'contacts' ? await store.contactsOf(user.id) : undefined;
    if (cameOnline) {
      const at = clock.now();
      await users
        .setLastSeen(user.id, at)
        .catch((err: unknown) => logger.warn({ err, userId: user.id }, 'could not store lastSeen'));
      events.emit('presence.changed', { user, online: true, at, audience: contacts ?? 'everyone' });
    }
    const ids = contacts
      ? await presence.onlineAmong(contacts)
      : (await presence.onlineUserIds()).filter((id) => id !== user.id);
    return store.findUsersByIds(ids);
  }

  async disconnected(user: User, connectionId: string): Promise<void> {
    this.deps.events.emit('connection.closed', { user, connectionId });
    if (await this.deps.presence.disconnect(user.id, connectionId)) await this.wentOffline(user);
  }

  /** Announces the users whose connections all expired (their process died). */
  async sweep(): Promise<void> {
    for (const id of await this.deps.presence.expire()) {
      const user = await this.deps.users.get(id);
      if (user) await this.wentOffline(user);
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async wentOffline(user: User): Promise<void> {
    const { users, typing, store, clock, logger, scope, events } = this.deps;
    const lastSeen = clock.now();
    await typing
      .endAll(user)
      .catch((err: unknown) => logger.warn({ err, userId: user.id }, 'could not end typing states'));
    await users
      .setLastSeen(user.id, lastSeen)
      .catch((err: unknown) => logger.warn({ err, userId: user.id }, 'could not store lastSeen'));
    const contacts = scope === 'contacts' ? await store.contactsOf(user.id) : undefined;
    events.emit('presence.changed', { user, online: false, at: lastSeen, audience: contacts ?? 'everyone' });
  }
}
