import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/**
 * `GET /metrics` in Prometheus text format (see src/observability/metrics.ts for what is in it). With a
 * `token`, scrapers must send `Authorization: Bearer <token>`; without one the route is public.
 */
export function metricsRoutes(app: FastifyInstance, registry: Registry, token?: string): void {
  app.get('/metrics', async (request, reply) => {
    if (token && request.headers.authorization !== `Bearer ${token}`) {
      return reply.code(401).send({ message: 'Metrics need Authorization: Bearer <METRICS_TOKEN>' });
    }
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
