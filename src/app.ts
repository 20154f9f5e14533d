import { randomUUID } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';
import { loadConfig, type Config } from './config.js';
import { AppError } from './domain/errors.js';
import { FlexibleRateLimiter } from './security/flexible-rate-limiter.js';
import { jwtSecretOf } from './security/secret-file.js';
import { trustFunction } from './security/client-ip.js';
import { ParleyMetrics } from './observability/metrics.js';
import { buildServices, subscribeHooks } from './core.js';
import type { Logger } from './services/ports.js';
import { KyselyStore } from './store/kysely-store.js';
import { openStorage } from './store/open-storage.js';
import { openRealtime, type Realtime } from './realtime.js';
import { fastifyOnServer } from './transport/http/share-server.js';
import { fastifyOptions, saneRequestId, serverTimeouts } from './transport/http/server-options.js';
import { asyncApiRoutes } from './docs/asyncapi.js';
import { registerOpenApi } from './docs/openapi.js';
import { authRoutes } from './transport/http/auth-routes.js';
import { demoRoutes } from './transport/http/demo-routes.js';
import { healthRoutes, type ReadinessCheck } from './transport/http/health-routes.js';
import { registerHttpAuth } from './transport/http/http-auth.js';
import { registerHttpErrors } from './transport/http/http-errors.js';
import { registerJsonParser } from './transport/http/json-parser.js';
import { conversationRoutes } from './transport/http/conversation-routes.js';
import { groupRoutes } from './transport/http/group-routes.js';
import { messageRoutes } from './transport/http/message-routes.js';
import { metricsRoutes } from './transport/http/metrics-routes.js';
import { userRoutes } from './transport/http/user-routes.js';
import { attachAdminUi } from './transport/socket/admin-ui.js';
import { startSessionRecheck } from './transport/socket/session-recheck.js';
import { attachSocketHandlers, createSocketServer } from './transport/socket/socket-server.js';
import { ConnectionGuard } from './transport/socket/connection-guard.js';
import type { Parley, ParleyHooks, ParleyOptions, ParleyPluginOptions, SocketInfo } from './parley-types.js';

export type { Parley, ParleyHooks, ParleyOptions, ParleyPluginOptions, SocketInfo };

/**
 * The composition root, as a Fastify plugin: the only place that knows which implementations run.
 * Opens storage, attaches Socket.IO to `fastify.server`, wires the services, registers the REST routes
 * with their documents (`/docs`, `/asyncapi.json`) and shuts all of it down when the instance closes.
 * Reads nothing from the environment — everything comes in `options`. The handle is `fastify.parley`.
 *
 * @example
 * const app = Fastify();
 * await app.register(parley, { env: { DATA_DIR: './chat', JWT_SECRET: process.env.JWT_SECRET } });
 * await app.listen({ port: 3000 }); // `app.parley.io` is the Socket.IO server
 */
async function parleyPlugin(fastify: FastifyInstance, options: ParleyPluginOptions): Promise<void> {
  if (fastify.hasDecorator('parley')) throw new Error('Parley is already registered on this instance');
  const config = options.config ?? loadConfig(options.env ?? {});
  const standalone = options.standalone === true;
  const trustProxy = trustFunction(config.trustProxy);
  const logger: Logger = fastify.log;
  /** Set once Parley has begun to release its stores (the second step of shutting down, below). */
  let released: Promise<void> | undefined;

  const secret = jwtSecretOf(config, (file) =>
    logger.warn(
      { file },
      'JWT_SECRET is not set: generated a random secret and kept it in DATA_DIR; set JWT_SECRET in production',
    ),
  );

  const { dialect, where, applied } = await openStorage(config, logger);
  logger.info({ storage: dialect.name, where, migrationsApplied: applied }, 'storage ready');
  const store = new KyselyStore(dialect);
  const connections = new ConnectionGuard({
    maxPerIp: config.maxConnectionsPerIp,
    trustProxy,
    logger,
  });
  const io = createSocketServer(fastify.server, {
    // Once closed in library mode (the host's server still up), new handshakes are refused.
    allowRequest: (req, callback) =>
      released ? callback('Parley is closed', false) : connections.allowRequest(req, callback),
    corsOrigins: config.corsOrigins,
    maxHttpBufferSize: config.socketMaxPayloadBytes,
    ...(config.adminUi ? { adminUi: config.adminUi } : {}),
  });
  let realtime: Realtime;
  try {
    realtime = await openRealtime(config, logger, io);
  } catch (err) {
    await store.close();
    throw err;
  }

  const limits = new FlexibleRateLimiter(config.rateLimits, {
    redis: realtime.redis?.commands,
    prefix: config.redisPrefix,
  });
  if (config.adminUi) {
    attachAdminUi(io, config.adminUi, { limits, logger, trustProxy });
  }
  const metrics = new ParleyMetrics({
    connectedSockets: () => io.engine.clientsCount,
    onlineUsers: async () => (await realtime.presence.onlineUserIds()).length,
  });
  const services = buildServices({
    config,
    store,
    realtime,
    limits,
    metrics,
    logger,
    secret,
    identity: options.identity,
    hooks: options.hooks,
  });
  const { typing, presence } = services;
  const sockets = attachSocketHandlers(io, services, logger, {
    maxSocketsPerUser: config.maxSocketsPerUser,
    metrics,
    maxInflight: config.socketMaxInflight,
    guard: { connections, limits },
    onlineUsersEmail: config.onlineUsersEmail,
  });
  // After the transport: `afterStore` sees a message once its conversation's sockets were told.
  subscribeHooks(services.events, options.hooks);
  const recheck = startSessionRecheck(io, services.auth, logger, config.sessionRecheckMs);
  typing.start();
  if (realtime.redis) presence.start(Math.max(250, Math.floor(config.presenceTtlMs / 3)));

  let closing = false;
  const checks: ReadinessCheck[] = [{ name: 'storage', check: () => store.ping() }];
  const redis = realtime.redis;
  if (redis) checks.push({ name: 'redis', check: async () => void (await redis.commands.ping()) });

  // Shutting down, in two steps run once each: stop accepting, then let started work finish and close
  // the stores. Closing the instance runs both (its preClose and onClose hooks); in library mode
  // `close()` runs them without closing the host's app or server.
  let stopping: Promise<void> | undefined;
  const stopAccepting = () =>
    (stopping ??= (async () => {
      closing = true;
      presence.stop();
      // Clients see `transport close` and reconnect (elsewhere). Socket.IO's own close would also close
      // the HTTP server, which in library mode is the host's to close.
      if (standalone) await io.close();
      else io.engine.close();
    })());
  const release = () =>
    (released ??= (async () => {
      await stopAccepting();
      await sockets.drain();
      await recheck.stop();
      await typing.close();
      await realtime.presence.close();
      if (redis) await Promise.allSettled([redis.commands.close(), redis.subscriber.close()]);
      await store.close();
    })());
  fastify.addHook('preClose', stopAccepting);
  fastify.addHook('onClose', release);

  // Everything HTTP in one scope: unless standalone (e.g. in a host's Fastify app) it is an encapsulated
  // plugin, so Parley's parsers, hooks, headers and error handling stay on Parley's routes.
  const routes = async (api: FastifyInstance) => {
    api.addHook('onRequest', async (request, reply) => {
      // A host's Fastify (library mode) may take the header unchecked: Parley's answers carry a sane one.
      if (saneRequestId(request.id) === undefined) request.id = randomUUID();
      reply.header('x-request-id', request.id);
      // Closed in library mode, where the host's app keeps serving (and keeps Parley's routes).
      if (released) throw new AppError('UNAVAILABLE');
    });
    await api.register(cors, { origin: config.corsOrigins === '*' ? '*' : config.corsOrigins });
    // Security headers on every REST answer; the API serves JSON only, so the strictest CSP applies.
    await api.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"] } },
    });
    registerJsonParser(api);
    registerHttpErrors(api, (code) => metrics.errors.inc({ code, transport: 'http' }), {
      notFound: standalone,
    });
    // The API's documentation at /docs, from the same schemas the routes validate with.
    await registerOpenApi(api);
    const { requireUser } = registerHttpAuth(api, services.auth);
    healthRoutes(api, checks, () => closing);
    authRoutes(api, services, requireUser, { accounts: !options.identity });
    userRoutes(api, services, requireUser);
    messageRoutes(api, services, requireUser);
    conversationRoutes(api, services, requireUser);
    groupRoutes(api, services, requireUser);
    metricsRoutes(api, metrics.registry, config.metricsToken);
    asyncApiRoutes(api);
    if (standalone) demoRoutes(api);
  };
  try {
    if (standalone) await routes(fastify);
    else await fastify.register(routes);
  } catch (err) {
    await release(); // e.g. a host's route on one of Parley's paths
    throw err;
  }

  let closed: Promise<void> | undefined;
  fastify.decorate('parley', {
    fastify,
    io,
    services,
    events: services.events,
    listen: () => {
      if (!standalone) throw new Error('In library mode the host application listens, not Parley');
      return fastify.listen({ port: config.port, host: config.host });
    },
    close: standalone ? () => (closed ??= fastify.close()) : release,
  } satisfies Parley);
}

/**
 * Parley as a Fastify plugin. Not encapsulated itself: the handle (`fastify.parley`) and the shutdown
 * hooks go on the instance it is registered on, while the REST side (parsers, hooks, headers, error
 * handling, docs) keeps to a scope of its own unless `standalone`.
 *
 * - Standalone: `await Fastify().register(parley, { env, standalone: true })`, then `listen`.
 * - In a host's Fastify app: `await app.register(parley, { env, identity })`; closing the app closes it.
 */
export const parley = Object.assign(parleyPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'parley',
  [Symbol.for('plugin-meta')]: { name: 'parley', fastify: '5.x' },
});

/**
 * Parley with its own Fastify: `Fastify(options).register(parley, { config, standalone: true })`, on its
 * own server or (`server`) on a host's HTTP server; or (`fastify`) registered on a host's Fastify app.
 *
 * @example const app = await createApp(loadConfig(process.env)); const url = await app.listen();
 */
export async function createApp(config: Readonly<Config>, options: ParleyOptions = {}): Promise<Parley> {
  const host = {
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  };
  if (options.fastify) {
    await options.fastify.register(parley, { config, ...host });
    return options.fastify.parley;
  }
  const fastify = options.server
    ? fastifyOnServer(options.server, fastifyOptions(config))
    : Fastify({ ...fastifyOptions(config), ...serverTimeouts(config) });
  await fastify.register(parley, { config, ...host, standalone: !options.server });
  // A shared server may already be listening: Parley's routes must be ready before any request comes.
  if (options.server) await fastify.ready();
  return fastify.parley;
}
