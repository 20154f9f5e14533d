import type { FastifyError, FastifyInstance } from 'fastify';
import { RateLimitedError } from '../../domain/errors.js';
import type { Logger } from '../../services/ports.js';
import { toWireError } from '../error-map.js';

/**
 * Every error answer is JSON `{message}` with the right status. Unexpected errors are logged with the
 * request's id (`reqId`, also sent back as `x-request-id`); `countError` sees every answered error code.
 */
export function registerHttpErrors(
  app: FastifyInstance,
  countError: (code: string) => void = () => {},
  options: { notFound?: boolean } = {},
): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // Fastify's own client errors (bad JSON, body too large, wrong content type) keep their status.
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 && err.code) {
      countError(err.statusCode === 413 ? 'BODY_TOO_LARGE' : 'VALIDATION');
      return reply.code(err.statusCode).send({ message: err.message });
    }
    const wire = toWireError(err, request.log as Logger);
    countError(wire.code);
    if (err instanceof RateLimitedError)
      reply.header('retry-after', Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
    return reply.code(wire.status).send({ message: wire.message });
  });
  // A host application keeps its own 404 handling; Parley's own server answers unknown routes in JSON.
  if (options.notFound === false) return;
  app.setNotFoundHandler((request, reply) => {
    countError('NOT_FOUND');
    reply.code(404).send({ message: `Route not found: ${request.method} ${request.url.split('?')[0]}` });
  });
}
