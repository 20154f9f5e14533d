import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { METRICS_AUTH, documented } from '../../docs/route-docs.js';
import { errorPayload } from '../../protocol/outputs.js';

/**
 * `GET /metrics` in Prometheus text format (see src/observability/metrics.ts for what is in it). With a
 * `token`, scrapers must send `Authorization: Bearer <token>`; without one the route is public.
 */
export function metricsRoutes(app: FastifyInstance, registry: Registry, token?: string): void {
  const docs = documented({
    tag: 'operations',
    summary: 'Prometheus metrics',
    description: 'Prometheus text format. Public unless `METRICS_TOKEN` is set.',
    security: [{}, { [METRICS_AUTH]: [] }],
    answers: {
      200: {
        description: 'The metrics',
        contentType: 'text/plain',
        schema: { type: 'string', description: 'Prometheus exposition format 0.0.4' },
      },
      401: { description: '`METRICS_TOKEN` is set and the request does not carry it', schema: errorPayload },
    },
  });
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  app.get('/metrics', docs, async (request, reply) => {
    // Compared as digests in constant time: the answer's timing tells nothing of the token.
    if (expected && !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      return reply.code(401).send({ message: 'Metrics need Authorization: Bearer <METRICS_TOKEN>' });
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}

const digest = (value: string) => createHash('sha256').update(value).digest();
