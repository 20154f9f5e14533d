import type { FastifyInstance } from 'fastify';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * `GET /metrics` in Prometheus text format: the process (memory, CPU, event-loop delay, GC) and Parley's
 * own gauges. `connectedSockets` is read at scrape time.
 */
export function metricsRoutes(app: FastifyInstance, sources: { connectedSockets: () => number }): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'parley_connected_sockets',
    help: 'Socket.IO connections open on this process',
    registers: [registry],
    collect() {
      this.set(sources.connectedSockets());
    },
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
