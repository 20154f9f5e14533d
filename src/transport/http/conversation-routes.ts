import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { documented } from '../../docs/route-docs.js';
import {
  conversationMessagesQuery,
  conversationsInput,
  createConversationInput,
  idParam,
  membersQuery,
  readBody,
} from '../../protocol/inputs.js';
import {
  conversationPayload,
  conversationsPayload,
  markConversationReadPayload,
  membersPayload,
  messageHistoryPayload,
  type ConversationPayload,
  type ConversationsPayload,
  type MarkConversationReadPayload,
  type MembersPayload,
  type MessageHistoryPayload,
} from '../../protocol/outputs.js';
import { parseInput } from '../../protocol/validate.js';
import type { Services } from '../../services/services.js';
import {
  toConversationPayload,
  toConversationsPayload,
  toMarkReadPayload,
  toMembersPayload,
} from '../conversation-mappers.js';
import { toHistoryPayload } from '../message-mappers.js';
import { userOf } from './http-auth.js';

const conversationParam = idParam('id');

/** The inbox, one conversation, opening a direct one, paging its messages and moving the read cursor. */
export function conversationRoutes(
  app: FastifyInstance,
  { conversations, messaging, groups }: Services,
  requireUser: preHandlerAsyncHookHandler,
) {
  app.get<{ Reply: ConversationsPayload }>(
    '/api/conversations',
    {
      ...documented({
        tag: 'conversations',
        summary: 'The inbox: my conversations, newest activity first',
        description:
          'Each with its last message, members and my unread count. `limit` default 20 (above 100 counts as 100); pass the answer’s `nextCursor` as `cursor` for the next page (null at the end). The same answer as the `get_conversations` socket event.',
        auth: true,
        query: conversationsInput,
        answers: { 200: { description: 'One page of the inbox', schema: conversationsPayload } },
        errors: ['RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) =>
      toConversationsPayload(
        await conversations.list(
          userOf(request),
          parseInput(conversationsInput, request.query, 'query string'),
        ),
      ),
  );

  app.post<{ Reply: ConversationPayload }>(
    '/api/conversations',
    {
      ...documented({
        tag: 'conversations',
        summary: 'Open the direct conversation with a user, or create a group',
        description:
          '`{type: "direct", userId}`: the pair’s conversation, created when there is none (201), else the existing one (200); the same as the `open_direct` socket event. `{type: "group", title, memberIds}`: a new group (201) with the caller as its owner; the same as `create_group`.',
        auth: true,
        body: createConversationInput,
        answers: {
          200: { description: 'The existing conversation', schema: conversationPayload },
          201: { description: 'The conversation, just created', schema: conversationPayload },
        },
        errors: ['USER_NOT_FOUND', 'UNKNOWN_USER', 'GROUP_FULL', 'RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request, reply) => {
      const input = parseInput(createConversationInput, request.body, 'request body');
      if (input.type === 'group') {
        const group = await groups.create(userOf(request), input);
        return reply.code(201).send(toConversationPayload(group));
      }
      const { conversation, created } = await conversations.openDirect(userOf(request), input.userId);
      return reply.code(created ? 201 : 200).send(toConversationPayload(conversation));
    },
  );

  app.get<{ Reply: ConversationPayload }>(
    '/api/conversations/:id',
    {
      ...documented({
        tag: 'conversations',
        summary: 'One conversation',
        description:
          'For a member; anyone else gets 404 `Conversation not found`, as for an id that names nothing. The same answer as the `get_conversation` socket event.',
        auth: true,
        params: conversationParam,
        answers: { 200: { description: 'The conversation', schema: conversationPayload } },
        errors: ['CONVERSATION_NOT_FOUND', 'RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(conversationParam, request.params, 'path');
      return toConversationPayload(await conversations.get(userOf(request), String(id)));
    },
  );

  app.get<{ Reply: MessageHistoryPayload }>(
    '/api/conversations/:id/messages',
    {
      ...documented({
        tag: 'conversations',
        summary: 'A conversation’s messages, paged by message id',
        description:
          '`before`: the newest `limit` messages older than that id; `after`: the oldest `limit` newer than it; neither: the newest `limit` (default 50; above 100 counts as 100). Always oldest first, with `hasMore` (more in the direction paged). The same answer as `get_message_history {conversationId, before?, after?, limit?}`.',
        auth: true,
        params: conversationParam,
        query: conversationMessagesQuery,
        answers: { 200: { description: 'One page of messages', schema: messageHistoryPayload } },
        errors: ['CONVERSATION_NOT_FOUND', 'RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(conversationParam, request.params, 'path');
      const query = parseInput(conversationMessagesQuery, request.query, 'query string');
      return toHistoryPayload(
        await messaging.history(userOf(request), { conversationId: String(id), ...query }),
      );
    },
  );

  app.get<{ Reply: MembersPayload }>(
    '/api/conversations/:id/members',
    {
      ...documented({
        tag: 'conversations',
        summary: 'A conversation’s members, paged',
        description:
          'In joining order, for a member; `limit` default and at most 100. Pass the answer’s `nextCursor` as `cursor` for the next page (null at the end). A conversation payload carries the first 100 members; this pages them all.',
        auth: true,
        params: conversationParam,
        query: membersQuery,
        answers: { 200: { description: 'One page of members', schema: membersPayload } },
        errors: ['CONVERSATION_NOT_FOUND', 'RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(conversationParam, request.params, 'path');
      const query = parseInput(membersQuery, request.query, 'query string');
      return toMembersPayload(await conversations.members(userOf(request), String(id), query));
    },
  );

  app.post<{ Reply: MarkConversationReadPayload }>(
    '/api/conversations/:id/read',
    {
      ...documented({
        tag: 'conversations',
        summary: 'Move my read cursor',
        description:
          'Every message up to and including `messageId` (default: the newest) that others sent becomes read for me; the cursor only moves forward. `conversation_read` goes to every socket of every member, as for the `mark_conversation_read` socket event.',
        auth: true,
        params: conversationParam,
        body: readBody,
        answers: {
          200: { description: 'My cursor and unread count now', schema: markConversationReadPayload },
        },
        errors: ['CONVERSATION_NOT_FOUND', 'MESSAGE_NOT_FOUND', 'RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(conversationParam, request.params, 'path');
      const { messageId } = parseInput(readBody, request.body, 'request body');
      return toMarkReadPayload(await conversations.markRead(userOf(request), String(id), messageId));
    },
  );
}
