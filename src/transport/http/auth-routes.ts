import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { loginInput, registerInput } from '../../protocol/inputs.js';
import { parseInput } from '../../protocol/validate.js';
import { toWireUser } from '../../protocol/wire.js';
import type { Services } from '../../services/services.js';
import { userOf } from './http-auth.js';

export function authRoutes(
  app: FastifyInstance,
  { auth }: Services,
  requireUser: preHandlerAsyncHookHandler,
) {
  app.post('/api/auth/register', async (request, reply) => {
    const input = parseInput(registerInput, request.body, 'request body');
    const { token, user } = await auth.register(input);
    return reply.code(201).send({ token, user: toWireUser(user) });
  });

  app.post('/api/auth/login', async (request) => {
    const input = parseInput(loginInput, request.body, 'request body');
    const { token, user } = await auth.login(input, { ip: request.ip });
    return { token, user: toWireUser(user) };
  });

  app.get('/api/auth/me', { preHandler: requireUser }, async (request) => ({
    user: toWireUser(userOf(request)),
  }));
}
