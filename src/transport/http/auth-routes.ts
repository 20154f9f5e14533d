import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import { authAnswer, meAnswer, type AuthAnswer, type MeAnswer } from '../../docs/rest-outputs.js';
import { documented } from '../../docs/route-docs.js';
import { loginInput, registerInput } from '../../protocol/inputs.js';
import { parseInput } from '../../protocol/validate.js';
import { toOwnWireUser } from '../../protocol/wire.js';
import { limitKeyOf } from '../../security/client-ip.js';
import type { Services } from '../../services/services.js';
import { userOf } from './http-auth.js';

/**
 * `/api/auth/*`. With `accounts: false` (library mode with the host's identity) only `/me` exists: the
 * host application owns registration and login.
 */
export function authRoutes(
  app: FastifyInstance,
  { auth }: Services,
  requireUser: preHandlerAsyncHookHandler,
  { accounts = true }: { accounts?: boolean } = {},
) {
  if (accounts) accountRoutes(app, auth);
  meRoute(app, requireUser);
}

function accountRoutes(app: FastifyInstance, auth: Services['auth']) {
  app.post<{ Reply: AuthAnswer }>(
    '/api/auth/register',
    documented({
      tag: 'auth',
      summary: 'Create an account',
      description:
        'Creates a user and returns a token for it. `role` is kept only when the deployment lets users choose it (`REGISTRATION_ROLES`), else the user is a `customer`; usernames and emails are unique, case-insensitively. Attempts are rate limited per client IP and across all clients.',
      body: registerInput,
      answers: { 201: { description: 'The new user and a token', schema: authAnswer } },
      errors: ['USERNAME_TAKEN', 'EMAIL_TAKEN', 'RATE_LIMITED', 'INTERNAL'],
    }),
    async (request, reply) => {
      const input = parseInput(registerInput, request.body, 'request body');
      const { token, user } = await auth.register(input, { ip: limitKeyOf(request.ip) });
      return reply.code(201).send({ token, user: toOwnWireUser(user) });
    },
  );

  app.post<{ Reply: AuthAnswer }>(
    '/api/auth/login',
    documented({
      tag: 'auth',
      summary: 'Log in',
      description:
        'With `email` or `username`, and `password`. Failed attempts count against per-account and per-IP limits.',
      body: loginInput,
      answers: { 200: { description: 'The user and a fresh token', schema: authAnswer } },
      errors: ['INVALID_CREDENTIALS', 'RATE_LIMITED', 'INTERNAL'],
    }),
    async (request) => {
      const input = parseInput(loginInput, request.body, 'request body');
      const { token, user } = await auth.login(input, { ip: limitKeyOf(request.ip) });
      return { token, user: toOwnWireUser(user) };
    },
  );
}

function meRoute(app: FastifyInstance, requireUser: preHandlerAsyncHookHandler) {
  app.get<{ Reply: MeAnswer }>(
    '/api/auth/me',
    {
      ...documented({
        tag: 'auth',
        summary: "The token's user",
        auth: true,
        answers: { 200: { description: 'The authenticated user, with their email', schema: meAnswer } },
        errors: ['INTERNAL'],
      }),
      preHandler: requireUser,
    },
    async (request) => ({ user: toOwnWireUser(userOf(request)) }),
  );
}
