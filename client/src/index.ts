import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type {
  ClientEventName,
  ClientToServerEvents,
  ConnectionPayload,
  ConversationMemberPayload,
  ConversationPayload,
  ConversationUpdatedPayload,
  ConversationsPayload,
  GroupChangedPayload,
  MarkConversationReadPayload,
  MessageHistoryPayload,
  MessageSentPayload,
  MissedMessagesPayload,
  ServerToClientEvents,
  UnreadCountPayload,
  WireConversation,
  WireMessage,
} from './protocol.js';
import { ParleyError } from './errors.js';

export { ParleyError } from './errors.js';
export * from './rest.js';
export * from './inbox.js';

/**
 * The typed Parley client: `connect` gives a socket.io-client Socket typed with Parley's event maps;
 * `ParleyClient` adds promise helpers that wait for the acknowledgement and retry safely.
 *
 * @example
 * const { token } = await login('http://localhost:3000', { username: 'ada', password: '…' });
 * const client = createClient('http://localhost:3000', token);
 * client.socket.on('receive_message', (m) => console.log(m.senderName, m.content));
 * const sent = await client.sendMessage(otherUserId, 'Hello!');
 */

export type * from './protocol.js';

export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
export type ConnectOptions = Partial<ManagerOptions & SocketOptions>;
export type CurrentUser = ConnectionPayload['user'];
/** A member's role in a group: one `owner`, any number of `admin`s and `member`s. */
export type MemberRole = ConversationMemberPayload['role'];

/** Opens a Socket.IO connection authenticated with `token` (`auth.token`). Reconnects by itself. */
export function connect(url: string, token: string, options: ConnectOptions = {}): ParleySocket {
  return io(url, { ...options, auth: { token } });
}

export interface CallOptions {
  /** How long to wait for the connection and then for the acknowledgement, per attempt. */
  timeoutMs?: number;
  /** Attempts after the first, on a timeout or a lost connection. A refusal is never retried. */
  retries?: number;
  /** Called before each retry with the attempt number (1 = first retry) and what went wrong. */
  onRetry?: (attempt: number, error: Error) => void;
}

export interface SendOptions extends CallOptions {
  /** Identifies this send: every retry reuses it, so the server stores the message once. Generated if absent. */
  clientMessageId?: string;
}

export interface ClientOptions extends ConnectOptions {
  /** Default `timeoutMs` of the helpers (5000). */
  ackTimeoutMs?: number;
  /** Default `retries` of the helpers (2). */
  retries?: number;
  /** `typing()` sends `typing_stop` after this long without another call (3000). */
  typingIdleMs?: number;
}

/** A random id, in secure and insecure browser contexts and in Node. */
export function newClientMessageId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Where typing happens: a user id (the direct conversation with them) or a conversation. */
export type TypingTarget = string | { conversationId: string };
const typingPayload = (target: TypingTarget) =>
  typeof target === 'string' ? { receiverId: target } : { conversationId: target.conversationId };
const typingKey = (target: TypingTarget) =>
  typeof target === 'string' ? `user:${target}` : `conversation:${target.conversationId}`;

const closedError = () => new Error('The Parley client is closed');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Refusal = { success: false; message: string };
const isRefusal = (ack: unknown): ack is Refusal =>
  typeof ack === 'object' && ack !== null && (ack as { success?: unknown }).success === false;

export class ParleyClient {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly typingIdleMs: number;
  private current: CurrentUser | undefined;
  private closed = false;
  private readonly onClose = new Set<() => void>();
  private readonly typingTimers = new Map<string, { timer: ReturnType<typeof setTimeout>; since: number }>();

  constructor(
    readonly socket: ParleySocket,
    options: Pick<ClientOptions, 'ackTimeoutMs' | 'retries' | 'typingIdleMs'> = {},
  ) {
    this.timeoutMs = options.ackTimeoutMs ?? 5000;
    this.retries = options.retries ?? 2;
    this.typingIdleMs = options.typingIdleMs ?? 3000;
    socket.on('connection', ({ user }) => (this.current = user));
    socket.on('disconnect', () => (this.current = undefined));
  }

  /** The signed-in user, once the server has accepted the current connection. */
  get me(): CurrentUser | undefined {
    return this.current;
  }

  /** Resolves with the user once the server has sent `connection`; rejects if the handshake is refused. */
  ready(timeoutMs = this.timeoutMs): Promise<CurrentUser> {
    if (this.current && this.socket.connected) return Promise.resolve(this.current);
    return this.waitFor<CurrentUser>('connection', timeoutMs, (resolve) => {
      const listener = ({ user }: ConnectionPayload) => resolve(user);
      this.socket.on('connection', listener);
      return () => this.socket.off('connection', listener);
    });
  }

  /**
   * Sends a message and resolves the stored message once acknowledged. On a timeout or a lost connection
   * it sends again with the same `clientMessageId`, so a message is stored once however often it is sent.
   */
  async sendMessage(receiverId: string, content: string, options: SendOptions = {}): Promise<WireMessage> {
    const clientMessageId = options.clientMessageId ?? newClientMessageId();
    const ack = await this.call<MessageSentPayload>(
      'send_message',
      [{ receiverId, content, clientMessageId }],
      options,
    );
    return ack.message;
  }

  /**
   * Sends a message to a conversation (the caller must be a member), with the same safe retries as
   * `sendMessage`.
   */
  async sendToConversation(
    conversationId: string,
    content: string,
    options: SendOptions = {},
  ): Promise<WireMessage> {
    const clientMessageId = options.clientMessageId ?? newClientMessageId();
    const ack = await this.call<MessageSentPayload>(
      'send_message',
      [{ conversationId, content, clientMessageId }],
      options,
    );
    return ack.message;
  }

  /** One page of the inbox, newest activity first; pass `nextCursor` back as `cursor` for the next. */
  conversations({
    limit,
    cursor,
    ...options
  }: CallOptions & { limit?: number; cursor?: string } = {}): Promise<ConversationsPayload> {
    return this.call('get_conversations', [{ limit, cursor }], options);
  }

  /** One conversation the user is a member of. */
  async conversation(conversationId: string, options: CallOptions = {}): Promise<WireConversation> {
    return (await this.call<ConversationPayload>('get_conversation', [{ conversationId }], options))
      .conversation;
  }

  /** The direct conversation with `userId`, created on first use. */
  async openDirect(userId: string, options: CallOptions = {}): Promise<WireConversation> {
    return (await this.call<ConversationPayload>('open_direct', [{ userId }], options)).conversation;
  }

  /**
   * Moves the read cursor up to `messageId` (default: the newest message); it never moves back.
   * Resolves the cursor and the unread count left in the conversation.
   */
  markConversationRead(
    conversationId: string,
    messageId?: string,
    options: CallOptions = {},
  ): Promise<MarkConversationReadPayload> {
    return this.call('mark_conversation_read', [{ conversationId, messageId }], options);
  }

  /**
   * A page of a conversation by message id, oldest first: `before` an id (older messages), `after` an id
   * (newer ones), or the newest `limit` without either. `hasMore` tells whether more lie that way.
   */
  messages(
    conversationId: string,
    {
      before,
      after,
      limit,
      ...options
    }: CallOptions & { before?: string; after?: string; limit?: number } = {},
  ): Promise<MessageHistoryPayload> {
    return this.call('get_message_history', [{ conversationId, before, after, limit }], options);
  }

  /**
   * Creates a group with the caller as its owner and `memberIds` (the others, may be empty) as members;
   * resolves the group. Every member's tabs get `conversation_updated` (`created`).
   *
   * Not retried by default (`retries: 0`): unlike the other changes, creating twice makes two groups. Pass
   * `retries` to accept that risk.
   */
  async createGroup(
    title: string,
    memberIds: string[] = [],
    options: CallOptions = {},
  ): Promise<WireConversation> {
    return (
      await this.call<ConversationPayload>('create_group', [{ title, memberIds }], { retries: 0, ...options })
    ).conversation;
  }

  /** Renames a group (owner, admin); resolves the group as the caller sees it afterwards. */
  async renameGroup(
    conversationId: string,
    title: string,
    options: CallOptions = {},
  ): Promise<WireConversation> {
    return (await this.call<GroupChangedPayload>('update_conversation', [{ conversationId, title }], options))
      .conversation;
  }

  /** Adds members to a group (owner, admin); members already in it stay as they are. */
  async addMembers(
    conversationId: string,
    userIds: string[],
    options: CallOptions = {},
  ): Promise<WireConversation> {
    return (await this.call<GroupChangedPayload>('add_members', [{ conversationId, userIds }], options))
      .conversation;
  }

  /**
   * Removes a member (the owner anyone, an admin members only), or with the caller's own id leaves (see
   * `leaveGroup`). The removed member's tabs get `conversation_updated` and nothing more of the group.
   */
  async removeMember(
    conversationId: string,
    userId: string,
    options: CallOptions = {},
  ): Promise<WireConversation> {
    return (await this.call<GroupChangedPayload>('remove_member', [{ conversationId, userId }], options))
      .conversation;
  }

  /**
   * Leaves a group: `remove_member` with the caller's own id. The owner leaving hands ownership over; the
   * answer is the group as `conversation_updated` shows it (the caller no longer in it).
   */
  async leaveGroup(conversationId: string, options: CallOptions = {}): Promise<WireConversation> {
    const me = await this.ready(options.timeoutMs);
    return this.removeMember(conversationId, me._id, options);
  }

  /** Sets a member's role (owner only); `owner` hands ownership over, the old owner becoming an admin. */
  async setMemberRole(
    conversationId: string,
    userId: string,
    role: MemberRole,
    options: CallOptions = {},
  ): Promise<WireConversation> {
    return (
      await this.call<GroupChangedPayload>('set_member_role', [{ conversationId, userId, role }], options)
    ).conversation;
  }

  /**
   * Calls `listener` on every `conversation_updated` (created, renamed, members added or removed, a member
   * left, a role changed); returns the function that stops listening. Its `conversation` is the same for
   * every member: keep your own `unreadCount` and cursor (`applyConversationUpdated` does).
   */
  onConversationUpdated(listener: (payload: ConversationUpdatedPayload) => void): () => void {
    this.socket.on('conversation_updated', listener);
    return () => void this.socket.off('conversation_updated', listener);
  }

  /** Marks a received message read; resolves the updated message. Marking twice is harmless. */
  async markRead(messageId: string, options: CallOptions = {}): Promise<WireMessage> {
    return (await this.call<MessageSentPayload>('mark_message_read', [{ messageId }], options)).message;
  }

  /**
   * One page of the conversation with `otherUserId`, oldest first: by `page` (1 is the newest messages),
   * or by message id with `before` / `after` as in `messages`.
   */
  history(
    otherUserId: string,
    {
      page,
      limit,
      before,
      after,
      ...options
    }: CallOptions & { page?: number; limit?: number; before?: string; after?: string } = {},
  ): Promise<MessageHistoryPayload> {
    return this.call('get_message_history', [{ otherUserId, page, limit, before, after }], options);
  }

  /** How many messages sent to this user are unread. */
  async unreadCount(options: CallOptions = {}): Promise<number> {
    return (await this.call<UnreadCountPayload>('get_unread_count', [], options)).count;
  }

  /**
   * Every message sent or received after `lastMessageId` (from the beginning without it), fetching page
   * after page while the server says there is more. Keep the returned `lastMessageId` for next time.
   */
  async sync(
    lastMessageId?: string,
    { limit, ...options }: CallOptions & { limit?: number } = {},
  ): Promise<{ messages: WireMessage[]; lastMessageId: string }> {
    const messages: WireMessage[] = [];
    let after = lastMessageId ?? '0';
    for (;;) {
      const page = await this.call<MissedMessagesPayload>('sync', [{ lastMessageId: after, limit }], options);
      messages.push(...page.messages);
      after = page.lastMessageId;
      if (!page.hasMore || page.messages.length === 0) return { messages, lastMessageId: after };
    }
  }

  /** `target`: a user id (their direct conversation) or `{conversationId}`. */
  async startTyping(target: TypingTarget, options: CallOptions = {}): Promise<void> {
    await this.call('typing_start', [typingPayload(target)], { retries: 0, ...options });
  }

  async stopTyping(target: TypingTarget, options: CallOptions = {}): Promise<void> {
    this.clearTyping(typingKey(target));
    await this.call('typing_stop', [typingPayload(target)], { retries: 0, ...options });
  }

  /**
   * Call on every keystroke: sends `typing_start` (again every `typingIdleMs`, while typing goes on) and
   * `typing_stop` once the calls stop for `typingIdleMs`. Best effort: failures are ignored.
   */
  typing(target: TypingTarget): void {
    const key = typingKey(target);
    const now = Date.now();
    const entry = this.typingTimers.get(key);
    if (entry) clearTimeout(entry.timer);
    const since = entry && now - entry.since < this.typingIdleMs ? entry.since : now;
    if (since === now) this.startTyping(target).catch(() => undefined);
    const timer = setTimeout(() => this.stopTyping(target).catch(() => undefined), this.typingIdleMs);
    this.typingTimers.set(key, { timer, since });
  }

  /** Closes the connection; pending helpers reject. */
  close(): void {
    this.closed = true;
    for (const key of [...this.typingTimers.keys()]) this.clearTyping(key);
    for (const abort of [...this.onClose]) abort();
    this.socket.close();
  }

  private clearTyping(key: string): void {
    clearTimeout(this.typingTimers.get(key)?.timer);
    this.typingTimers.delete(key);
  }

  /** Emits `event` with an ack; retries on a timeout or a lost connection; a refusal throws ParleyError. */
  private async call<T>(event: ClientEventName, args: unknown[], options: CallOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const retries = options.retries ?? this.retries;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.connected(timeoutMs);
        if (this.closed) throw closedError();
        // The event maps type each event's arguments; `args` was built for `event` by the helper above.
        const timed = this.socket.timeout(timeoutMs) as unknown as {
          emitWithAck(event: string, ...args: unknown[]): Promise<T | Refusal>;
        };
        const ack = await this.untilClosed(timed.emitWithAck(event, ...args));
        if (isRefusal(ack)) throw new ParleyError(ack.message, event);
        return ack;
      } catch (err) {
        if (this.closed) throw closedError();
        const error = err instanceof Error ? err : new Error(String(err));
        if (error instanceof ParleyError || attempt >= retries) throw error;
        options.onRetry?.(attempt + 1, error);
        await sleep(Math.min(100 * 2 ** attempt, 1000));
      }
    }
  }

  /** `work`, or a rejection as soon as the client is closed. */
  private untilClosed<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const abort = () => reject(closedError());
      this.onClose.add(abort);
      work.then(resolve, reject).finally(() => this.onClose.delete(abort));
    });
  }

  /** Resolves once connected; rejects after `timeoutMs`, or at once if the socket will not reconnect. */
  private connected(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    if (this.socket.connected) return Promise.resolve();
    return this.waitFor<void>('connect', timeoutMs, (resolve) => {
      const listener = () => resolve();
      this.socket.on('connect', listener);
      return () => this.socket.off('connect', listener);
    });
  }

  /** Waits for `subscribe` to resolve; rejects on timeout, on close, or on a handshake the server refused. */
  private waitFor<T>(
    what: string,
    timeoutMs: number,
    subscribe: (resolve: (value: T) => void) => () => void,
  ): Promise<T> {
    if (!this.socket.active) return Promise.reject(new Error('Not connected, and not reconnecting'));
    return new Promise<T>((resolve, reject) => {
      const finish = (err: Error | undefined, value?: T) => {
        clearTimeout(timer);
        unsubscribe();
        this.socket.off('connect_error', refused);
        this.onClose.delete(aborted);
        if (err) reject(err);
        else resolve(value as T);
      };
      const refused = (err: Error) => {
        if (!this.socket.active) finish(err);
      };
      const aborted = () => finish(closedError());
      const timer = setTimeout(() => finish(new Error(`Timed out waiting for '${what}'`)), timeoutMs);
      const unsubscribe = subscribe((value) => finish(undefined, value));
      this.socket.on('connect_error', refused);
      this.onClose.add(aborted);
    });
  }
}

/** `connect` plus the promise helpers. */
export function createClient(url: string, token: string, options: ClientOptions = {}): ParleyClient {
  const { ackTimeoutMs, retries, typingIdleMs, ...connectOptions } = options;
  return new ParleyClient(connect(url, token, connectOptions), { ackTimeoutMs, retries, typingIdleMs });
}
