import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { User } from '../../domain/types.js';
import type { AuthService } from '../../services/auth-service.js';

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
}

/** Adds `request.user`; routes that need a user call `requireUser` as a preHandler. */
export function registerHttpAuth(app: FastifyInstance, auth: AuthService) {
  app.decorateRequest('user', null);
  return {
    requireUser: async (request: FastifyRequest): Promise<void> => {
      request.user = await auth.authenticate(request.headers.authorization);
    },
  };
}

/** The authenticated user of a route guarded by `requireUser`. */
export const userOf = (request: FastifyRequest): User => {
  if (!request.user) throw new Error('route is missing the requireUser preHandler');
  return request.user;
};
