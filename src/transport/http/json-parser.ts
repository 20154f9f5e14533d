import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';
import { AppError } from '../../domain/errors.js';

/**
 * JSON bodies, parsed safely against prototype poisoning (as Fastify's own parser does), with clearer
 * errors; an empty body with a JSON content type counts as no body, so clients that always send
 * `Content-Type: application/json` can still PATCH without one.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body.toString();
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, sjson.parse(text, { protoAction: 'error', constructorAction: 'error' }));
    } catch (err) {
      const poisoned = err instanceof SyntaxError && err.message.includes('prototype property');
      const message = poisoned
        ? 'request body must not contain __proto__ or constructor.prototype keys'
        : 'request body is not valid JSON';
      done(new AppError('VALIDATION', message), undefined);
    }
  });
}
