import type { ErrorCode } from '../../domain/errors.js';
import type { User } from '../../domain/types.js';
import type { ClientEventName, ServerEventName } from '../../protocol/events.js';
import {
  conversationIdInput,
  conversationsInput,
  historyInput,
  markConversationReadInput,
  markMessageReadInput,
  openDirectInput,
  sendMessageInput,
  syncInput,
  typingInput,
} from '../../protocol/inputs.js';
import { parseInput } from '../../protocol/validate.js';
import { toConversationPayload, toConversationsPayload, toMarkReadPayload } from '../conversation-mappers.js';
import type { Logger } from '../../services/ports.js';
import type { Services } from '../../services/services.js';
import { toWireError } from '../error-map.js';
import type { ParleySocket } from './socket-types.js';

interface EventBinding {
  /** Validates the payload (throwing synchronously when it is invalid) and calls one service method. */
  run(user: User, payload: unknown): Promise<unknown>;
  /** Emitted to this socket with the result. Events whose service notifies rooms itself have none. */
  reply?: ServerEventName;
  /** The generic message for unexpected failures. */
  fallback?: ErrorCode;
}

const ok = { success: true } as const;

/** Every client event: its validation, its one service call, and where the answer goes. */
export function eventBindings({
  messaging,
  typing,
  conversations,
}: Services): Record<ClientEventName, EventBinding> {
  return {
    send_message: {
      run: (user, p) => messaging.send(user, parseInput(sendMessageInput, p, 'send_message payload')),
      fallback: 'SEND_FAILED',
    },
    mark_message_read: {
      run: (user, p) =>
        messaging.markRead(user, parseInput(markMessageReadInput, p, 'mark_message_read payload').messageId),
    },
    typing_start: {
      run: (user, p) => typing.begin(user, parseInput(typingInput, p, 'typing_start payload')).then(() => ok),
    },
    typing_stop: {
      run: (user, p) => typing.end(user, parseInput(typingInput, p, 'typing_stop payload')).then(() => ok),
    },
    get_message_history: {
      run: (user, p) => messaging.history(user, parseInput(historyInput, p, 'get_message_history payload')),
      reply: 'message_history',
    },
    sync: {
      run: (user, p) => messaging.sync(user, parseInput(syncInput, p, 'sync payload')),
      reply: 'missed_messages',
    },
    get_unread_count: {
      run: (user) => messaging.unreadCount(user),
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
    // `conversation_read` reaches every socket of the reader (this one too) from the service.
    mark_conversation_read: {
      run: (user, p) => {
        const input = parseInput(markConversationReadInput, p, 'mark_conversation_read payload');
        return conversations.markRead(user, input.conversationId, input.messageId).then(toMarkReadPayload);
      },
    },
  };
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
  bindings: Record<ClientEventName, EventBinding>,
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
  const start = (binding: EventBinding, payload: unknown): { work: Promise<unknown>; counted: boolean } => {
    try {
      return { work: binding.run(socket.data.user, payload), counted: true };
    } catch (err) {
      return { work: Promise.reject(err), counted: false };
    }
  };
  // Never rejects: every outcome becomes a reply, an `error` event or a log line.
  const handle = async (
    event: string,
    binding: EventBinding,
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
  for (const [event, binding] of Object.entries(bindings)) {
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
