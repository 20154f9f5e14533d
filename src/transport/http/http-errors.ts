import type { FastifyError, FastifyInstance } from 'fastify';
import { RateLimitedError } from '../../domain/errors.js';
import type { Logger } from '../../services/ports.js';
import { toWireError } from '../error-map.js';

/** Every error answer is JSON `{message}` with the right status. */
export function registerHttpErrors(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    // Fastify's own client errors (bad JSON, body too large, wrong content type) keep their status.
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 && err.code) {
      return reply.code(err.statusCode).send({ message: err.message });
    }
    const wire = toWireError(err, logger);
    if (err instanceof RateLimitedError)
      reply.header('retry-after', Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
    return reply.code(wire.status).send({ message: wire.message });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ message: `Route not found: ${request.method} ${request.url.split('?')[0]}` });
  });
}
