import type { User } from '../domain/types.js';
import type { Presence } from '../presence/presence.js';
import type { ServerPayload } from '../protocol/events.js';
import type { OnlineUser } from '../protocol/outputs.js';
import { toOnlineUser } from '../protocol/wire.js';
import type { Store } from '../store/store.js';
import type { Clock, Logger, Notifier } from './ports.js';
import type { TypingService } from './typing-service.js';
import type { UserService } from './user-service.js';

/**
 * Who hears about whom: `all` (the spec's behaviour) tells every user about every other; `contacts` only
 * about users they share a conversation with — O(contacts) per connection instead of O(online users).
 */
export type PresenceScope = 'all' | 'contacts';

/**
 * Online status. A user comes online with their first connection and goes offline with their last, on
 * any process; `user_online` / `user_offline` are broadcast on those transitions only, never per tab.
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
      notifier: Notifier;
      clock: Clock;
      logger: Logger;
      scope: PresenceScope;
      /** Whether `online_users` entries carry `email` (the seed's shape; default true). */
      onlineUsersEmail?: boolean;
    },
  ) {}

  /** Sweeps for expired users every `intervalMs`. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(() => {
      this.sweep().catch((err: unknown) => this.deps.logger.warn({ err }, 'presence sweep failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Records a new connection and returns the other users online (in scope), for `online_users`. */
  async connected(user: User, connectionId: string): Promise<OnlineUser[]> {
    const { presence, store, users, clock, logger, scope } = this.deps;
    const cameOnline = await presence.connect(user.id, connectionId);
    const contacts = scope === 'contacts' ? await store.contactsOf(user.id) : undefined;
    if (cameOnline) {
      await users
        .setLastSeen(user.id, clock.now())
        .catch((err: unknown) => logger.warn({ err, userId: user.id }, 'could not store lastSeen'));
      this.tell(user, contacts, 'user_online', { userId: user.id, name: user.name, username: user.username });
    }
    const ids = contacts
      ? await presence.onlineAmong(contacts)
      : (await presence.onlineUserIds()).filter((id) => id !== user.id);
    const withEmail = this.deps.onlineUsersEmail ?? true;
    return (await store.findUsersByIds(ids)).map((u) => toOnlineUser(u, withEmail));
  }

  async disconnected(user: User, connectionId: string): Promise<void> {
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
    const { users, typing, store, clock, logger, scope } = this.deps;
    const lastSeen = clock.now();
    await typing
      .endAll(user)
      .catch((err: unknown) => logger.warn({ err, userId: user.id }, 'could not end typing states'));
    await users
      .setLastSeen(user.id, lastSeen)
      .catch((err: unknown) => logger.warn({ err, userId: user.id }, 'could not store lastSeen'));
    const contacts = scope === 'contacts' ? await store.contactsOf(user.id) : undefined;
    this.tell(user, contacts, 'user_offline', { userId: user.id, lastSeen: lastSeen.toISOString() });
  }

  /** Everyone else, or only `contacts` when presence is scoped to them. */
  private tell<E extends 'user_online' | 'user_offline'>(
    user: User,
    contacts: string[] | undefined,
    event: E,
    payload: ServerPayload<E>,
  ): void {
    if (contacts) this.deps.notifier.toUsers(contacts, event, payload);
    else this.deps.notifier.broadcast(event, payload, user.id);
  }
}
