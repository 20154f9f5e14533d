import type { ParleyClient } from './index.js';
import type {
  ConversationReadPayload,
  ConversationUpdatedPayload,
  ServerToClientEvents,
  WireConversation,
  WireMessage,
} from './protocol.js';

/**
 * The inbox kept live from events: the pure `apply…` functions update one conversation as its viewer
 * sees it, and `LiveInbox` keeps a whole inbox with them (page 1 on each (re)connect, then events only).
 */

/** Orders message ids (decimal strings, as the server makes them): negative when `a` is older. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

const later = (a: string, b: string) => (a >= b ? a : b);

function newer(a: WireMessage | null | undefined, b: WireMessage | null): WireMessage | null {
  if (!a) return b;
  if (!b) return a;
  return compareIds(b._id, a._id) > 0 ? b : a;
}

/**
 * Applies `conversation_updated` to the viewer's copy of the conversation (`existing`, undefined when the
 * inbox does not have it). Returns the new copy, or `null` when the viewer was removed or left: the
 * conversation leaves their inbox. The event's `conversation` is the same for every member (`unreadCount`
 * 0, `lastReadMessageId` null): the viewer's own unread count, cursor and `muted` are kept, except for a
 * member who just joined (created with, or added), whose really are 0 and the newest message.
 */
export function applyConversationUpdated(
  existing: WireConversation | undefined,
  { conversation, change }: ConversationUpdatedPayload,
  myId: string,
): WireConversation | null {
  const aboutMe = change.userIds?.includes(myId) ?? false;
  if ((change.type === 'member_removed' || change.type === 'member_left') && aboutMe) return null;
  const joined = change.type === 'created' || (change.type === 'members_added' && aboutMe);
  const lastMessage = newer(existing?.lastMessage, conversation.lastMessage);
  const own = joined
    ? { unreadCount: 0, lastReadMessageId: lastMessage?._id ?? null, muted: existing?.muted ?? false }
    : existing
      ? {
          unreadCount: existing.unreadCount,
          lastReadMessageId: existing.lastReadMessageId,
          muted: existing.muted,
        }
      : {};
  return {
    ...conversation,
    ...own,
    lastMessage,
    lastActivityAt: later(existing?.lastActivityAt ?? '', conversation.lastActivityAt),
  };
}

/**
 * Applies a message sent or received in the conversation: it becomes the last message and, when it
 * `countsAsUnread` (default: someone else sent it), the unread count goes up. A message the copy already
 * has (another tab's `message_sent`, a retry) or an older one changes nothing.
 */
export function applyMessage(
  existing: WireConversation,
  message: WireMessage,
  myId: string,
  countsAsUnread = message.senderId !== myId,
): WireConversation {
  if (existing.lastMessage && compareIds(message._id, existing.lastMessage._id) <= 0) return existing;
  return {
    ...existing,
    lastMessage: message,
    lastActivityAt: later(existing.lastActivityAt, message.sentAt),
    unreadCount: existing.unreadCount + (countsAsUnread ? 1 : 0),
  };
}

/** Applies `conversation_read`: the viewer's own cursor and unread count (other members' change nothing). */
export function applyRead(
  existing: WireConversation,
  read: ConversationReadPayload,
  myId: string,
): WireConversation {
  if (read.userId !== myId) return existing;
  const cursor =
    existing.lastReadMessageId && read.lastReadMessageId
      ? compareIds(read.lastReadMessageId, existing.lastReadMessageId) > 0
        ? read.lastReadMessageId
        : existing.lastReadMessageId
      : (read.lastReadMessageId ?? existing.lastReadMessageId);
  return { ...existing, lastReadMessageId: cursor, unreadCount: read.unreadCount ?? existing.unreadCount };
}

export interface LiveInboxOptions {
  /** How many conversations to load on each (re)connect (20, at most 100). */
  limit?: number;
}

/**
 * A live inbox on a `ParleyClient`: loads page 1 at every (re)connect, then follows `receive_message`,
 * `message_sent`, `conversation_read` and `conversation_updated` (a conversation the user was removed
 * from, or left, drops out; one it does not know yet is fetched). `subscribe` tells of every change.
 *
 * @example
 * const inbox = new LiveInbox(client);
 * inbox.subscribe(() => render(inbox.list()));
 */
export class LiveInbox {
  /** The conversation the user has open: messages arriving there do not raise its unread count. */
  open: string | undefined;
  private entries = new Map<string, WireConversation>();
  /** While a reload is under way: the conversations events changed meanwhile. */
  private touched: Set<string> | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly detach: Array<() => void> = [];
  private readonly limit: number;

  constructor(
    readonly client: ParleyClient,
    { limit = 20 }: LiveInboxOptions = {},
  ) {
    this.limit = limit;
    const s = client.socket;
    const me = () => this.client.me?._id;
    const listeners: { [E in keyof ServerToClientEvents]?: ServerToClientEvents[E] } = {
      connection: () => void this.reload(),
      receive_message: (m) => this.onMessage(m, m.conversationId !== this.open && m.senderId !== me()),
      message_sent: ({ message }) => this.onMessage(message, false),
      conversation_read: (read) => {
        const existing = this.entries.get(read.conversationId);
        const id = me();
        if (id && existing) this.set(applyRead(existing, read, id));
      },
      conversation_updated: (update) => this.onUpdated(update),
    };
    for (const [event, listener] of Object.entries(listeners)) {
      // Each listener was typed for its event just above.
      const socket = s as unknown as { on(e: string, l: unknown): void; off(e: string, l: unknown): void };
      socket.on(event, listener);
      this.detach.push(() => socket.off(event, listener));
    }
    if (client.me && client.socket.connected) void this.reload();
  }

  /** The conversations, newest activity first. */
  list(): WireConversation[] {
    return [...this.entries.values()].sort(
      (a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt) || compareIds(b._id, a._id),
    );
  }

  get(conversationId: string): WireConversation | undefined {
    return this.entries.get(conversationId);
  }

  /** Adds or replaces a conversation the application got by itself (e.g. the answer to `createGroup`). */
  set(conversation: WireConversation): void {
    this.entries.set(conversation._id, conversation);
    this.touched?.add(conversation._id);
    this.changed();
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Loads page 1 again (done at every (re)connect); a failure leaves the inbox as it was. What events
   * changed while the page was on its way wins over the page.
   */
  async reload(): Promise<void> {
    const touched = new Set<string>();
    this.touched = touched;
    try {
      const { conversations } = await this.client.conversations({ limit: this.limit });
      if (this.touched !== touched) return; // a later reload is under way
      const live = this.entries;
      this.entries = new Map(conversations.filter((c) => !touched.has(c._id)).map((c) => [c._id, c]));
      for (const id of touched) {
        const conversation = live.get(id);
        if (conversation) this.entries.set(id, conversation);
      }
      this.changed();
    } catch {
      // loaded again at the next reconnect
    } finally {
      if (this.touched === touched) this.touched = undefined;
    }
  }

  /** Stops following the socket. */
  close(): void {
    this.detach.splice(0).forEach((off) => off());
    this.listeners.clear();
  }

  private onUpdated(update: ConversationUpdatedPayload) {
    const me = this.client.me?._id;
    if (!me) return;
    const id = update.conversation._id;
    const existing = this.entries.get(id);
    const next = applyConversationUpdated(existing, update, me);
    if (next === null) {
      this.touched?.add(id);
      if (this.entries.delete(id)) this.changed();
      return;
    }
    const { type, userIds } = update.change;
    const joined = type === 'created' || (type === 'members_added' && userIds?.includes(me));
    if (existing || joined) this.set(next);
    else void this.fetch(id);
  }

  private onMessage(message: WireMessage, countsAsUnread: boolean) {
    const me = this.client.me?._id;
    const existing = this.entries.get(message.conversationId);
    if (!me) return;
    if (existing) this.set(applyMessage(existing, message, me, countsAsUnread));
    else void this.fetch(message.conversationId);
  }

  private async fetch(conversationId: string) {
    try {
      this.set(await this.client.conversation(conversationId, { retries: 0 }));
    } catch {
      // gone already (removed at once), or the connection dropped: page 1 is loaded again on reconnect
    }
  }

  private changed() {
    for (const listener of [...this.listeners]) listener();
  }
}
