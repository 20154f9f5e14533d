import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { idParam, usersQuery } from '../../protocol/inputs.js';
import { parseInput } from '../../protocol/validate.js';
import { toWireUser } from '../../protocol/wire.js';
import type { Services } from '../../services/services.js';
import { userOf } from './http-auth.js';

const userIdParam = idParam('id');

export function userRoutes(
  app: FastifyInstance,
  { users }: Services,
  requireUser: preHandlerAsyncHookHandler,
) {
  app.get('/api/users', { preHandler: requireUser }, async (request) => {
    const query = parseInput(usersQuery, request.query, 'query string');
    return users.search(userOf(request), query);
  });

  app.get('/api/users/:id', { preHandler: requireUser }, async (request) => {
    const { id } = parseInput(userIdParam, request.params, 'path');
    return { user: toWireUser(await users.fresh(String(id))) };
  });
}
