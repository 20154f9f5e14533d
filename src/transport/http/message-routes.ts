import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { historyQuery, idParam, sendMessageInput, syncInput } from '../../protocol/inputs.js';
import { parseInput } from '../../protocol/validate.js';
import type { Services } from '../../services/services.js';
import { userOf } from './http-auth.js';

const otherUserParam = idParam('otherUserId');
const messageIdParam = idParam('id');

export function messageRoutes(
  app: FastifyInstance,
  { messaging }: Services,
  requireUser: preHandlerAsyncHookHandler,
) {
  app.get('/api/messages/unread-count', { preHandler: requireUser }, async (request) =>
    messaging.unreadCount(userOf(request)),
  );

  app.get('/api/messages/sync', { preHandler: requireUser }, async (request) =>
    messaging.sync(userOf(request), parseInput(syncInput, request.query, 'query string')),
  );

  app.get('/api/messages/:otherUserId', { preHandler: requireUser }, async (request) => {
    const { otherUserId } = parseInput(otherUserParam, request.params, 'path');
    const page = parseInput(historyQuery, request.query, 'query string');
    return messaging.history(userOf(request), { otherUserId: String(otherUserId), ...page });
  });

  app.post('/api/messages', { preHandler: requireUser }, async (request, reply) => {
    const input = parseInput(sendMessageInput, request.body, 'request body');
    return reply.code(201).send(await messaging.send(userOf(request), input));
  });

  app.patch('/api/messages/:id/read', { preHandler: requireUser }, async (request) => {
    const { id } = parseInput(messageIdParam, request.params, 'path');
    return messaging.markRead(userOf(request), String(id));
  });
}
