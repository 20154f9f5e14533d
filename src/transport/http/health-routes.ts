import type { FastifyInstance } from 'fastify';

export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

/** `/healthz`: the process answers. `/readyz`: every dependency answers, and we are not shutting down. */
export function healthRoutes(app: FastifyInstance, checks: ReadinessCheck[], isClosing: () => boolean) {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
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
    const ready = !isClosing() && results.every(([, status]) => status === 'ok');
    const body = { status: ready ? 'ok' : 'unavailable', checks: Object.fromEntries(results) };
    if (ready) return body;
    return reply.code(503).send({ message: isClosing() ? 'Shutting down' : 'Not ready', ...body });
  });
}
