import type { FastifyInstance } from 'fastify';
import {
  liveness,
  notReady,
  readiness,
  type Liveness,
  type NotReady,
  type Readiness,
} from '../../docs/rest-outputs.js';
import { documented } from '../../docs/route-docs.js';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** `/healthz`: the process answers. `/readyz`: every dependency answers, and we are not shutting down. */
export function healthRoutes(app: FastifyInstance, checks: ReadinessCheck[], isClosing: () => boolean) {
  app.get<{ Reply: Liveness }>(
    '/healthz',
    documented({
      tag: 'operations',
      summary: 'Liveness: the process answers',
      answers: { 200: { description: 'Always `ok`', schema: liveness } },
    }),
    async () => ({ status: 'ok' }),
  );

  app.get<{ Reply: Readiness | NotReady }>(
    '/readyz',
    documented({
      tag: 'operations',
      summary: 'Readiness: every dependency answers',
      description: 'For load balancers: 503 while a dependency is down or the process is shutting down.',
      answers: {
        200: { description: 'Ready', schema: readiness },
        503: { description: 'Not ready, or shutting down', schema: notReady },
      },
    }),
    async (_request, reply) => {
      const results = await Promise.all(
        checks.map(async ({ name, check }) => {
          try {
            await check();
            return [name, 'ok'] as const;
          } catch {
            return [name, 'unavailable'] as const;
          }
        }),
      );
      const entries = Object.fromEntries(results);
      if (!isClosing() && results.every(([, status]) => status === 'ok')) {
        return { status: 'ok', checks: entries };
      }
      const message = isClosing() ? 'Shutting down' : 'Not ready';
      return reply.code(503).send({ message, status: 'unavailable', checks: entries });
    },
  );
}
