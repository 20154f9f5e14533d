import type {
  ConversationChange,
  ConversationType,
  ConversationView,
  Message,
  ReadState,
  User,
} from '../domain/types.js';
import type { Logger } from './ports.js';

/** A new message, just stored (published after the commit, never before). */
export interface MessageStored {
  message: Message;
  sender: User;
  /** The other member of a direct conversation; null in a group. */
  receiver: User | null;
  /**
   * The conversation's members other than the sender. In a group, read only for subscribers that may use
   * it: when every `message.stored` subscriber was subscribed `withoutGroupRecipients` (as the socket
   * transport is: it reaches a group through its room) and there is no `beforeSend`, a group send reads
   * only the sender's own membership, and this is empty.
   */
  recipientIds: string[];
  /** A group's title; null for a direct conversation. */
  conversationTitle: string | null;
  conversationType: ConversationType;
}

/**
 * Users became members of a group, or stopped being members (committed, or found so on a retry). Published
 * with `emitAndWait` before the change is announced or acknowledged, and again on a retry that changes
 * nothing, so the socket transport moves their sockets in or out of the conversation's fan-out whatever
 * happens after (moving twice changes nothing).
 */
export interface MembersMoved {
  conversationId: string;
  /** Members now: their sockets start receiving the conversation's events. */
  joined: string[];
  /** No longer members: their sockets stop receiving them. */
  left: string[];
}

/**
 * A group's title, members or roles changed (committed). Published with `emitAndWait` after the members
 * concerned were moved (`members.moved`): the change is acknowledged only once its subscribers are done.
 */
export interface ConversationChanged {
  /** As nobody in particular sees it: no viewer's cursor or unread count (see `GroupStore.neutralView`). */
  conversation: ConversationView;
  change: ConversationChange;
  /** Users who became members (already moved in). */
  joined: string[];
  /** Users who stopped being members (already moved out; they are told this change). */
  left: string[];
}

/** A user came online (their first connection) or went offline (their last one closed, or their process died). */
export interface PresenceChanged {
  user: User;
  online: boolean;
  /** When it happened (going offline: the user's new `lastSeen`). */
  at: Date;
  /** Who is told: every other user, or only these (presence scoped to contacts). */
  audience: 'everyone' | string[];
}

/** A connection (a socket) of a user opened or closed: every one of them, not only the first and last. */
export interface ConnectionChanged {
  user: User;
  connectionId: string;
}

/**
 * What the core announces, by name. Payloads are domain values; what reaches a client, and how, is each
 * transport's business (the socket transport maps every event in `socket-publisher.ts`).
 */
export interface DomainEvents {
  'message.stored': MessageStored;
  /** A retried send (same `clientMessageId`) was answered with the message stored the first time. */
  'message.resent': { message: Message; sender: User; receiver: User | null };
  /** The receiver marked a message of a direct conversation read. */
  /**
   * The receiver marked a message of a direct conversation read, or a member marked a group message
   * read (their cursor moved to it: `conversation.read` tells the other members).
   */
  'message.read': {
    message: Message & { readAt: Date };
    sender: User;
    reader: User;
    conversationType: ConversationType;
  };
  /**
   * A member marked a conversation read. `moved`: their cursor went forward (else it stayed where it
   * was); `otherMemberIds`: the conversation's other members.
   */
  'conversation.read': {
    state: ReadState;
    moved: boolean;
    otherMemberIds: string[];
    conversationType: ConversationType;
  };
  'members.moved': MembersMoved;
  'conversation.changed': ConversationChanged;
  'presence.changed': PresenceChanged;
  /** A member started or stopped typing in a conversation (stopping includes timing out and going offline). */
  'typing.changed': {
    typist: User;
    conversationId: string;
    conversationType: ConversationType;
    recipientIds: string[];
    isTyping: boolean;
  };
  'connection.opened': ConnectionChanged;
  'connection.closed': ConnectionChanged;
}

export type DomainEventName = keyof DomainEvents;

/** A subscriber; what it returns is ignored, except that a rejected promise is logged. */
export type EventHandler<P> = (payload: P) => unknown;

/** How a subscriber subscribes. */
export interface SubscribeOptions {
  /**
   * `message.stored` only: the subscriber never reads `recipientIds` of a group message. A group send
   * then need not read the group's members for it (see `MessageStored.recipientIds`).
   */
  withoutGroupRecipients?: boolean;
}

/** The subscribing half of the bus: what a transport or a host is given. */
export interface EventSource<Events extends object = DomainEvents> {
  /** Calls `handler` with every `name` event from now on, after the subscribers before it. Returns `off`. */
  on<E extends keyof Events>(
    name: E,
    handler: EventHandler<Events[E]>,
    options?: SubscribeOptions,
  ): () => void;
}

/**
 * A small in-process, typed event bus. Dispatch is synchronous, in subscription order, inside `emit`:
 * when a service's call returns, every subscriber has seen its events. A subscriber that throws (or whose
 * promise rejects) is logged; the publisher and the other subscribers carry on.
 */
export class EventBus<Events extends object = DomainEvents> implements EventSource<Events> {
  private readonly handlers: { [E in keyof Events]?: Array<EventHandler<Events[E]>> } = {};
  /** `message.stored` subscribers that may read a group message's `recipientIds`. */
  private readonly groupRecipientReaders = new Set<EventHandler<never>>();

  constructor(private readonly logger: Logger) {}

  on<E extends keyof Events>(
    name: E,
    handler: EventHandler<Events[E]>,
    options: SubscribeOptions = {},
  ): () => void {
    const list = (this.handlers[name] ??= []);
    list.push(handler);
    const reader = name === 'message.stored' && !options.withoutGroupRecipients;
    if (reader) this.groupRecipientReaders.add(handler);
    return () => {
      const at = list.indexOf(handler);
      if (at >= 0) list.splice(at, 1);
      if (reader && !list.includes(handler)) this.groupRecipientReaders.delete(handler);
    };
  }

  /** Whether a `message.stored` subscriber may read a group message's `recipientIds`. */
  wantsGroupRecipients(): boolean {
    return this.groupRecipientReaders.size > 0;
  }

  emit<E extends keyof Events>(name: E, payload: Events[E]): void {
    void this.dispatch(name, payload);
  }

  /**
   * As `emit` (the same synchronous dispatch), and resolves once every promise a subscriber returned has
   * settled. Never rejects: failures are logged as for `emit`.
   */
  async emitAndWait<E extends keyof Events>(name: E, payload: Events[E]): Promise<void> {
    await this.dispatch(name, payload);
  }

  private dispatch<E extends keyof Events>(name: E, payload: Events[E]): Promise<unknown> {
    const list = this.handlers[name];
    if (!list) return Promise.resolve();
    const pending: Array<PromiseLike<unknown>> = [];
    for (const handler of [...list]) {
      try {
        const result = handler(payload);
        if (isThenable(result)) {
          pending.push(result.then(undefined, (err: unknown) => this.failed(name, err)));
        }
      } catch (err) {
        this.failed(name, err);
      }
    }
    return pending.length === 0 ? Promise.resolve() : Promise.all(pending);
  }

  private failed(name: keyof Events, err: unknown): void {
    this.logger.error({ err, event: String(name) }, 'an event subscriber failed');
  }
}

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
