import type { z } from 'zod';
import { defaultMessages } from '../domain/errors.js';
import type {
  ClientEventName,
  ClientToServerEvents,
  ServerEventName,
  ServerPayload,
} from '../protocol/events.js';
import * as In from '../protocol/inputs.js';
import * as Out from '../protocol/outputs.js';
import { groupClientEvents, groupServerEvents } from './group-events.js';

/**
 * The one table of Socket.IO events for the docs: every event of the typed event maps with the zod
 * schema of its payload (and acknowledgement). The compiler checks it against src/protocol/events.ts.
 */

export interface ServerEventDoc {
  summary: string;
  description?: string;
  payload: z.ZodType;
}

export interface ClientEventDoc {
  summary: string;
  description?: string;
  /** The first argument; absent for events that take none. */
  payload?: z.ZodType;
  /** What the acknowledgement receives on success (on failure: `{success: false, message}`). */
  ack: z.ZodType;
  /** The event also emitted to the calling socket with the same payload as the ack. */
  reply?: ServerEventName;
}

/** Every server → client event of `ServerToClientEvents` and its payload schema. */
export const serverEvents = {
  connection: {
    summary: 'The handshake was accepted',
    description: 'To this socket, first thing after connecting.',
    payload: Out.connectionPayload,
  },
  online_users: {
    summary: 'Who is online',
    description: 'To this socket, right after `connection`: every user with an open socket but this one.',
    payload: Out.onlineUsersPayload,
  },
  user_online: {
    summary: 'A user came online',
    description: "To every other socket, on a user's first connection.",
    payload: Out.userOnlinePayload,
  },
  user_offline: {
    summary: 'A user went offline',
    description: "To every other socket, when a user's last socket closes.",
    payload: Out.userOfflinePayload,
  },
  message_sent: {
    summary: 'A message you sent was stored',
    description: 'To every socket of the sender (by `send_message` or `POST /api/messages`).',
    payload: Out.messageSentPayload,
  },
  receive_message: {
    summary: 'A message for you',
    description: 'To every socket of the receiver, right after `message_sent`.',
    payload: Out.wireMessage,
  },
  conversations: {
    summary: 'A page of the inbox',
    description: 'To this socket, in reply to `get_conversations`.',
    payload: Out.conversationsPayload,
  },
  conversation: {
    summary: 'One conversation',
    description: 'To this socket, in reply to `get_conversation` and `open_direct`.',
    payload: Out.conversationPayload,
  },
  conversation_read: {
    summary: "A member's read cursor",
    description:
      "To every socket of every member on every `mark_conversation_read` / `POST /api/conversations/:id/read`, with the reader's cursor as it now is (unchanged when it did not move): one event, however many messages it covers. The reader's own sockets get it with `success` and their `unreadCount` in the conversation.",
    payload: Out.conversationReadPayload,
  },
  message_notification: {
    summary: 'A short notice of a new message',
    description: 'To every socket of the receiver, right after `receive_message`.',
    payload: Out.messageNotificationPayload,
  },
  message_read: {
    summary: 'Your message was read',
    description: "To every socket of the message's sender, when the receiver marks it read.",
    payload: Out.messageReadPayload,
  },
  message_read_confirmed: {
    summary: 'You marked a message read',
    description: 'To every socket of the reader, right after `message_read`.',
    payload: Out.messageReadConfirmedPayload,
  },
  typing_indicator: {
    summary: 'Someone is typing to you, or stopped',
    description:
      "To every socket of the receiver: on `typing_start`, `typing_stop`, when typing times out, and when the typist's last socket closes.",
    payload: Out.typingIndicatorPayload,
  },
  message_history: {
    summary: 'A page of a conversation',
    description: 'To this socket, in reply to `get_message_history`.',
    payload: Out.messageHistoryPayload,
  },
  unread_count: {
    summary: 'How many received messages are unread',
    description: 'To this socket, in reply to `get_unread_count`.',
    payload: Out.unreadCountPayload,
  },
  missed_messages: {
    summary: 'Messages missed while disconnected',
    description: 'To this socket, in reply to `sync`.',
    payload: Out.missedMessagesPayload,
  },
  error: {
    summary: 'One of your events failed',
    description: `To this socket, when one of its events fails (the connection stays open), for an unknown event (\`Unknown event: <name>\`), and just before the server disconnects a socket whose token expired (\`${defaultMessages.TOKEN_EXPIRED}\`).`,
    payload: Out.errorPayload,
  },
  ...groupServerEvents,
} satisfies Record<ServerEventName, ServerEventDoc>;

/** Every client → server event of `ClientToServerEvents`: its payload, its acknowledgement. */
export const clientEvents = {
  send_message: {
    summary: 'Send a message',
    description:
      "To a user (`receiverId`: their direct conversation, created on first use) or to a conversation (`conversationId`, for a member): exactly one of the two (`Provide receiverId or conversationId, not both`). Stores it, then `message_sent` goes to the sender's sockets and `receive_message` and `message_notification` to every socket of every other member. A retry with the same `clientMessageId` answers with the stored message and stores nothing new.",
    payload: In.sendMessageFields,
    ack: Out.messageSentPayload,
  },
  mark_message_read: {
    summary: 'Mark a received message read',
    description:
      "In a direct conversation only its receiver may: `message_read` goes to the sender's sockets, `message_read_confirmed` to the reader's. In a group, any member: their read cursor moves up to it (`conversation_read` to every member) and `message_read_confirmed` goes to the reader's sockets.",
    payload: In.markMessageReadInput,
    ack: Out.messageReadConfirmedPayload,
  },
  typing_start: {
    summary: 'Start typing to someone, or in a conversation',
    description:
      "`{receiverId}` or `{conversationId}` (a member's): `typing_indicator` (`isTyping: true`, with `conversationId`) to every socket of the other members; ends by itself after a timeout.",
    payload: In.typingFields,
    ack: Out.successPayload,
  },
  typing_stop: {
    summary: 'Stop typing to someone, or in a conversation',
    description:
      '`typing_indicator` (`isTyping: false`, with `conversationId`) to the other members’ sockets.',
    payload: In.typingFields,
    ack: Out.successPayload,
  },
  get_message_history: {
    summary: 'Ask for a page of a conversation',
    description:
      '`{otherUserId}` (the direct conversation with that user) or `{conversationId}` (a member’s), exactly one. Paged by `page` (1 is the newest) or by message id: `before` gives the newest `limit` messages older than it, `after` the oldest `limit` newer than it. Always ordered oldest first, with `hasMore`.',
    payload: In.historyFields,
    ack: Out.messageHistoryPayload,
    reply: 'message_history',
  },
  get_unread_count: {
    summary: 'Ask how many received messages are unread',
    description: 'Takes no payload: the acknowledgement, if any, is the only argument.',
    ack: Out.unreadCountPayload,
    reply: 'unread_count',
  },
  get_conversations: {
    summary: 'Ask for a page of the inbox',
    description:
      'My conversations, newest activity first, each with its last message, members and my unread count. `limit` default 20, at most 100; pass the answer’s `nextCursor` as `cursor` for the next page. The payload may be left out.',
    payload: In.conversationsInput,
    ack: Out.conversationsPayload,
    reply: 'conversations',
  },
  get_conversation: {
    summary: 'Ask for one conversation',
    description: 'For a member; anyone else is answered `Conversation not found`.',
    payload: In.conversationIdInput,
    ack: Out.conversationPayload,
    reply: 'conversation',
  },
  open_direct: {
    summary: 'Open the direct conversation with a user',
    description:
      'The pair’s conversation, created when there is none (once per pair, however many ask at once).',
    payload: In.openDirectInput,
    ack: Out.conversationPayload,
    reply: 'conversation',
  },
  mark_conversation_read: {
    summary: 'Move my read cursor',
    description:
      'Every message up to and including `messageId` (default: the newest) that others sent becomes read for me; the cursor only moves forward. Then `conversation_read` goes to every socket of every member.',
    payload: In.markConversationReadInput,
    ack: Out.markConversationReadPayload,
  },
  sync: {
    summary: 'Ask for what was missed since a message id',
    description:
      "Every message the user sent or received with an id above `lastMessageId`, oldest first. Ask again with the answer's `lastMessageId` while `hasMore` is true. The payload may be left out.",
    payload: In.syncInput,
    ack: Out.missedMessagesPayload,
    reply: 'missed_messages',
  },
  ...groupClientEvents,
} satisfies Record<ClientEventName, ClientEventDoc>;

// Compile-time checks that the tables say what the typed event maps say: each schema's type is exactly
// the event's payload (or ack) type. A mismatch names the event in the error.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type ClientArgs<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>;
type AckOf<E extends ClientEventName> = Extract<
  NonNullable<ClientArgs<E>[number]>,
  (...args: never[]) => void
>;
type PayloadOf<E extends ClientEventName> = Exclude<ClientArgs<E>[0], AckOf<E> | undefined>;
type DocPayload<E extends ClientEventName> = (typeof clientEvents)[E] extends {
  payload: infer S extends z.ZodType;
}
  ? Exclude<z.input<S>, undefined>
  : never;
type DocAck<E extends ClientEventName> = z.output<(typeof clientEvents)[E]['ack']> | Out.AckErrorPayload;

type ServerMismatch = {
  [E in ServerEventName]: Same<z.output<(typeof serverEvents)[E]['payload']>, ServerPayload<E>> extends true
    ? never
    : E;
}[ServerEventName];
type ClientMismatch = {
  [E in ClientEventName]: Same<DocPayload<E>, PayloadOf<E>> extends true
    ? Same<DocAck<E>, Parameters<AckOf<E>>[0]> extends true
      ? never
      : E
    : E;
}[ClientEventName];
const tablesMatchEventMaps: [ServerMismatch | ClientMismatch] extends [never]
  ? true
  : { mismatched: ServerMismatch | ClientMismatch } = true;
void tablesMatchEventMaps;
