import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { userAnswer, usersPage, type UserAnswer, type UsersPage } from '../../docs/rest-outputs.js';
import { documented } from '../../docs/route-docs.js';
import { idParam, usersQuery } from '../../protocol/inputs.js';
import { parseInput } from '../../protocol/validate.js';
import { toOwnWireUser, toWireUser } from '../../protocol/wire.js';
import type { Services } from '../../services/services.js';
import { userOf } from './http-auth.js';

const userIdParam = idParam('id');

export function userRoutes(
  app: FastifyInstance,
  { users }: Services,
  requireUser: preHandlerAsyncHookHandler,
) {
  app.get<{ Reply: UsersPage }>(
    '/api/users',
    {
      ...documented({
        tag: 'users',
        summary: 'The user directory',
        description:
          'Everyone but the caller, ordered by name, optionally filtered by `q` (a case-insensitive part of the name or username; email addresses are not searched). Users appear without their email. `page` defaults to 1, `limit` to 20; a `limit` above 100 counts as 100.',
        auth: true,
        query: usersQuery,
        answers: { 200: { description: 'One page of users', schema: usersPage } },
        errors: ['RATE_LIMITED', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const query = parseInput(usersQuery, request.query, 'query string');
      const { users: found, pagination } = await users.search(userOf(request), query);
      return { users: found.map(toWireUser), pagination };
    },
  );

  app.get<{ Reply: UserAnswer }>(
    '/api/users/:id',
    {
      ...documented({
        tag: 'users',
        summary: 'One user',
        auth: true,
        params: userIdParam,
        answers: {
          200: {
            description: 'The user with a current `lastSeen`; with `email` only when it is the caller',
            schema: userAnswer,
          },
        },
        errors: ['USER_NOT_FOUND', 'INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => {
      const { id } = parseInput(userIdParam, request.params, 'path');
      const user = await users.fresh(String(id));
      // Email goes to its owner alone.
      return { user: user.id === userOf(request).id ? toOwnWireUser(user) : toWireUser(user) };
    },
  );
}
