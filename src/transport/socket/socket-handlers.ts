import type { ErrorCode } from '../../domain/errors.js';
import type { User } from '../../domain/types.js';
import type {
  ClientEventName,
  ClientToServerEvents,
  ServerEventName,
  ServerPayload,
} from '../../protocol/events.js';
import {
  addMembersInput,
  conversationIdInput,
  conversationsInput,
  createGroupInput,
  historyInput,
  markConversationReadInput,
  markMessageReadInput,
  openDirectInput,
  removeMemberInput,
  sendMessageInput,
  setMemberRoleInput,
  syncInput,
  typingInput,
  updateConversationInput,
} from '../../protocol/inputs.js';
import type { AckErrorPayload } from '../../protocol/outputs.js';
import { parseInput } from '../../protocol/validate.js';
import {
  toConversationPayload,
  toConversationsPayload,
  toGroupChangedPayload,
  toMarkReadPayload,
} from '../conversation-mappers.js';
import {
  toHistoryPayload,
  toMessageSentPayload,
  toMissedMessagesPayload,
  toUnreadCountPayload,
} from '../message-mappers.js';
import type { Logger } from '../../services/ports.js';
import type { Services } from '../../services/services.js';
import { toWireError } from '../error-map.js';
import type { ParleySocket } from './socket-types.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AckOf<E extends ClientEventName> = Extract<
  NonNullable<Parameters<ClientToServerEvents[E]>[number]>,
  (...args: never[]) => void
>;
/** What the acknowledgement of client event `E` receives on success (from `ClientToServerEvents`). */
export type AckPayloadOf<E extends ClientEventName> = Exclude<Parameters<AckOf<E>>[0], AckErrorPayload>;
/** The server events whose payload type is exactly `T`: those a binding answering `T` may reply with. */
export type ReplyEventFor<T> = {
  [S in ServerEventName]: Same<ServerPayload<S>, T> extends true ? S : never;
}[ServerEventName];

/**
 * How the server answers client event `E`. The compiler holds it to the event map: `run` must resolve
 * what `E`'s acknowledgement receives, and `reply` must be a server event with exactly that payload.
 */
export interface EventBinding<E extends ClientEventName> {
  /** Validates the payload (throwing synchronously when it is invalid), calls one service method, maps its result. */
  run(user: User, payload: unknown): Promise<AckPayloadOf<E>>;
  /** Emitted to this socket with the result. Events whose results reach rooms through the event bus have none. */
  reply?: ReplyEventFor<AckPayloadOf<E>>;
  /** The generic message for unexpected failures. */
  fallback?: ErrorCode;
}

/** A binding for every client event: a missing one does not compile. */
export type EventBindings = { [E in ClientEventName]: EventBinding<E> };

const ok = { success: true } as const;

/** Every client event: its validation, its one service call, and where the answer goes. */
export function eventBindings({ messaging, typing, conversations, groups }: Services): EventBindings {
  return {
    // `message_sent` reaches every socket of the sender (this one too) through the event bus.
    send_message: {
      run: (user, p) =>
        messaging
          .send(user, parseInput(sendMessageInput, p, 'send_message payload'))
          .then(toMessageSentPayload),
      fallback: 'SEND_FAILED',
    },
    mark_message_read: {
      run: (user, p) =>
        messaging
          .markRead(user, parseInput(markMessageReadInput, p, 'mark_message_read payload').messageId)
          .then(toMessageSentPayload),
    },
    typing_start: {
      run: (user, p) => typing.begin(user, parseInput(typingInput, p, 'typing_start payload')).then(() => ok),
    },
    typing_stop: {
      run: (user, p) => typing.end(user, parseInput(typingInput, p, 'typing_stop payload')).then(() => ok),
    },
    get_message_history: {
      run: (user, p) =>
        messaging
          .history(user, parseInput(historyInput, p, 'get_message_history payload'))
          .then(toHistoryPayload),
      reply: 'message_history',
    },
    sync: {
      run: (user, p) =>
        messaging.sync(user, parseInput(syncInput, p, 'sync payload')).then(toMissedMessagesPayload),
      reply: 'missed_messages',
    },
    get_unread_count: {
      run: (user) => messaging.unreadCount(user).then(toUnreadCountPayload),
      reply: 'unread_count',
    },
    get_conversations: {
      run: (user, p) =>
        conversations
          .list(user, parseInput(conversationsInput, p, 'get_conversations payload'))
          .then(toConversationsPayload),
      reply: 'conversations',
    },
    get_conversation: {
      run: (user, p) =>
        conversations
          .get(user, parseInput(conversationIdInput, p, 'get_conversation payload').conversationId)
          .then(toConversationPayload),
      reply: 'conversation',
    },
    open_direct: {
      run: (user, p) =>
        conversations
          .openDirect(user, parseInput(openDirectInput, p, 'open_direct payload').userId)
          .then(({ conversation }) => toConversationPayload(conversation)),
      reply: 'conversation',
    },
    // `conversation_read` reaches every socket of the reader (this one too) through the event bus.
    mark_conversation_read: {
      run: (user, p) => {
        const input = parseInput(markConversationReadInput, p, 'mark_conversation_read payload');
        return conversations.markRead(user, input.conversationId, input.messageId).then(toMarkReadPayload);
      },
    },
    // Group changes reach every member's sockets as `conversation_updated` through the event bus; the
    // caller's ack gets the group as they see it afterwards.
    create_group: {
      run: (user, p) =>
        groups
          .create(user, parseInput(createGroupInput, p, 'create_group payload'))
          .then(toConversationPayload),
      reply: 'conversation',
    },
    update_conversation: {
      run: (user, p) => {
        const input = parseInput(updateConversationInput, p, 'update_conversation payload');
        return groups.rename(user, input.conversationId, input.title).then(toGroupChangedPayload);
      },
    },
    add_members: {
      run: (user, p) => {
        const input = parseInput(addMembersInput, p, 'add_members payload');
        return groups.addMembers(user, input.conversationId, input.userIds).then(toGroupChangedPayload);
      },
    },
    remove_member: {
      run: (user, p) => {
        const input = parseInput(removeMemberInput, p, 'remove_member payload');
        return groups.removeMember(user, input.conversationId, input.userId).then(toGroupChangedPayload);
      },
    },
    set_member_role: {
      run: (user, p) => {
        const input = parseInput(setMemberRoleInput, p, 'set_member_role payload');
        return groups
          .setMemberRole(user, input.conversationId, input.userId, input.role)
          .then(toGroupChangedPayload);
      },
    },
  };
}

/** Any binding, as the dispatcher runs it (the types above were checked where the bindings are made). */
interface RunnableBinding {
  run(user: User, payload: unknown): Promise<unknown>;
  reply?: ServerEventName;
  fallback?: ErrorCode;
}

type Ack = (response: unknown) => void;

/**
 * Attaches the bindings to a socket. Each event takes an optional acknowledgement callback as its last
 * argument; it receives the reply payload, or `{success: false, message}` while `error` is emitted.
 * Nothing a client sends can throw out of a handler.
 *
 * At most `maxInflight` service calls of one socket run at once. A well-behaved client waits for its
 * answers long before that; one that keeps more going (a single long-polling POST can carry thousands of
 * packets) is abusive, and is disconnected — that socket only.
 */
export function bindEvents(
  socket: ParleySocket,
  bindings: EventBindings,
  logger: Logger,
  track: (work: Promise<unknown>) => void,
  countError: (code: string) => void = () => {},
  { maxInflight = Infinity }: { maxInflight?: number } = {},
): void {
  const emit = socket.emit.bind(socket) as (event: string, payload: unknown) => boolean;
  let running = 0;
  const overloaded = (event: string, ack: Ack | undefined) => {
    logger.warn({ event, inflight: running, maxInflight }, 'too many socket events in flight: disconnecting');
    countError('TOO_MANY_INFLIGHT');
    const message = `Too many requests in flight: at most ${maxInflight} per connection`;
    emit('error', { message });
    ack?.({ success: false, message });
    socket.disconnect(true);
  };
  // Starts the service call now (validation fails synchronously and never counts as running work).
  const start = (
    binding: RunnableBinding,
    payload: unknown,
  ): { work: Promise<unknown>; counted: boolean } => {
    try {
      return { work: binding.run(socket.data.user, payload), counted: true };
    } catch (err) {
      return { work: Promise.reject(err), counted: false };
    }
  };
  // Never rejects: every outcome becomes a reply, an `error` event or a log line.
  const handle = async (
    event: string,
    binding: RunnableBinding,
    work: Promise<unknown>,
    ack: Ack | undefined,
  ) => {
    try {
      let result: unknown;
      try {
        result = await work;
      } catch (err) {
        const { message, code } = toWireError(err, logger, binding.fallback);
        countError(code);
        emit('error', { message });
        ack?.({ success: false, message });
        return;
      }
      if (binding.reply) emit(binding.reply, result);
      ack?.(result);
    } catch (err) {
      logger.error({ err, event }, 'replying to a socket event failed');
    }
  };
  for (const [event, binding] of Object.entries(bindings) as Array<[string, RunnableBinding]>) {
    socket.on(event as ClientEventName, (...args: unknown[]) => {
      // Packets decoded before the socket was cut off still arrive: they are dropped.
      if (socket.disconnected) return;
      const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined;
      if (running >= maxInflight) return overloaded(event, ack);
      const { work, counted } = start(binding, args[0]);
      const handled = handle(event, binding, work, ack);
      if (counted) {
        running += 1;
        void handled.then(() => (running -= 1));
      }
      track(handled);
    });
  }
  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (typeof event === 'string' && Object.hasOwn(bindings, event)) return;
    const name = String(event).slice(0, 64);
    const message = `Unknown event: ${name}`;
    countError('UNKNOWN_EVENT');
    emit('error', { message });
    const ack = args.at(-1);
    if (typeof ack === 'function') (ack as Ack)({ success: false, message });
  });
}
