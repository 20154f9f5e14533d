import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { documented } from '../../docs/route-docs.js';
import { historyQuery, idParam, sendMessageInput, syncInput } from '../../protocol/inputs.js';
import {
  messageHistoryPayload,
  messageReadConfirmedPayload,
  messageSentPayload,
  missedMessagesPayload,
  receiptsPayload,
  unreadCountPayload,
  type MessageHistoryPayload,
  type MessageSentPayload,
  type MissedMessagesPayload,
  type ReceiptsPayload,
  type UnreadCountPayload,
} from '../../protocol/outputs.js';
import { parseInput } from '../../protocol/validate.js';
import type { Services } from '../../services/services.js';
import {
  toHistoryPayload,
  toMessageSentPayload,
  toMissedMessagesPayload,
  toUnreadCountPayload,
} from '../message-mappers.js';
import { toReceiptsPayload } from '../conversation-mappers.js';
import { userOf } from './http-auth.js';

const otherUserParam = idParam('otherUserId');
const messageIdParam = idParam('id');

export function messageRoutes(
  app: FastifyInstance,
  { messaging, conversations }: Services,
  requireUser: preHandlerAsyncHookHandler,
) {
  app.get<{ Reply: UnreadCountPayload }>(
    '/api/messages/unread-count',
    {
      ...documented({
        tag: 'messages',
        summary: 'How many received messages are unread',
        description: 'Across all conversations; the same answer as the `get_unread_count` socket event.',
        auth: true,
        answers: { 200: { description: 'The unread count', schema: unreadCountPayload } },
        errors: ['RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => toUnreadCountPayload(await messaging.unreadCount(userOf(request))),
  );

  app.get<{ Reply: MissedMessagesPayload }>(
    '/api/messages/sync',
    {
      ...documented({
        tag: 'messages',
        summary: 'Catch up after a reconnect',
        description:
          'Every message the caller sent or received with an id above `lastMessageId`, oldest first, at most `limit` (default 50; above 500 counts as 500). Ask again with the answer’s `lastMessageId` while `hasMore` is true. The same answer as the `sync` socket event.',
        auth: true,
        query: syncInput,
        answers: { 200: { description: 'One page of messages', schema: missedMessagesPayload } },
        errors: ['RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) =>
      toMissedMessagesPayload(
        await messaging.sync(userOf(request), parseInput(syncInput, request.query, 'query string')),
      ),
  );

  app.get<{ Reply: MessageHistoryPayload }>(
    '/api/messages/:otherUserId',
    {
      ...documented({
        tag: 'messages',
        summary: 'A conversation’s history',
        description:
          'Page 1 holds the newest `limit` messages (default 50; above 100 counts as 100); each page is ordered oldest first. The same answer as the `get_message_history` socket event.',
        auth: true,
        params: otherUserParam,
        query: historyQuery,
        answers: { 200: { description: 'One page of the conversation', schema: messageHistoryPayload } },
        errors: ['USER_NOT_FOUND', 'RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { otherUserId } = parseInput(otherUserParam, request.params, 'path');
      const page = parseInput(historyQuery, request.query, 'query string');
      return toHistoryPayload(
        await messaging.history(userOf(request), { otherUserId: String(otherUserId), ...page }),
      );
    },
  );

  app.post<{ Reply: MessageSentPayload }>(
    '/api/messages',
    {
      ...documented({
        tag: 'messages',
        summary: 'Send a message',
        description:
          'Stores the message, then emits `message_sent` to the sender’s sockets and `receive_message` and `message_notification` to the receiver’s, as the `send_message` socket event does. A retry with the same `clientMessageId` returns the stored message and stores nothing new.',
        auth: true,
        body: sendMessageInput,
        answers: { 201: { description: 'The stored message', schema: messageSentPayload } },
        errors: ['RECEIVER_NOT_FOUND', 'SEND_REJECTED', 'RATE_LIMITED', 'SEND_FAILED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request, reply) => {
      const input = parseInput(sendMessageInput, request.body, 'request body');
      return reply.code(201).send(toMessageSentPayload(await messaging.send(userOf(request), input)));
    },
  );

  app.get<{ Reply: ReceiptsPayload }>(
    '/api/messages/:id/receipts',
    {
      ...documented({
        tag: 'messages',
        summary: 'Who has read (and received) a message I sent',
        description:
          'For its sender only: a member who did not send it gets 403 `Access denied`, anyone else (and an unknown id) 404 `Message not found`. `readBy`: the members whose read cursor passed it (in a direct conversation, the receiver once it is read), with the time their cursor last moved. `deliveredTo`: until delivery cursors exist, the same members.',
        auth: true,
        params: messageIdParam,
        answers: { 200: { description: 'The receipts', schema: receiptsPayload } },
        errors: ['MESSAGE_NOT_FOUND', 'ACCESS_DENIED', 'RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(messageIdParam, request.params, 'path');
      return toReceiptsPayload(await conversations.receipts(userOf(request), String(id)));
    },
  );

  app.patch<{ Reply: MessageSentPayload }>(
    '/api/messages/:id/read',
    {
      ...documented({
        tag: 'messages',
        summary: 'Mark a received message read',
        description:
          'In a direct conversation only its receiver may: emits `message_read` to the sender’s sockets and `message_read_confirmed` to the reader’s. In a group any member may: their read cursor moves up to it (`conversation_read` to every member) and `message_read_confirmed` goes to the reader’s sockets. The same as the `mark_message_read` socket event.',
        auth: true,
        params: messageIdParam,
        answers: { 200: { description: 'The message, now read', schema: messageReadConfirmedPayload } },
        errors: ['MESSAGE_NOT_FOUND', 'ACCESS_DENIED', 'RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(messageIdParam, request.params, 'path');
      return toMessageSentPayload(await messaging.markRead(userOf(request), String(id)));
    },
  );
}
