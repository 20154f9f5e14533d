import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { Argon2PasswordHasher } from './security/argon2-password-hasher.js';
import { BoundedPasswordHasher } from './security/bounded-password-hasher.js';
import { FlexibleRateLimiter } from './security/flexible-rate-limiter.js';
import { JoseTokenIssuer } from './security/jose-token-issuer.js';
import { jwtSecretOf } from './security/secret-file.js';
import { trustFunction } from './security/client-ip.js';
import { ParleyMetrics } from './observability/metrics.js';
import { AuthService } from './services/auth-service.js';
import { ConversationService } from './services/conversation-service.js';
import { MessagingService } from './services/messaging-service.js';
import { systemClock, type ExternalIdentity, type Logger } from './services/ports.js';
import { PresenceService } from './services/presence-service.js';
import type { Services } from './services/services.js';
import { TypingService } from './services/typing-service.js';
import { UserService } from './services/user-service.js';
import { KyselyStore } from './store/kysely-store.js';
import { openStorage } from './store/open-storage.js';
import { openRealtime, type Realtime } from './realtime.js';
import { shareServer } from './transport/http/share-server.js';
import type { ParleyServer } from './transport/socket/socket-types.js';
import { asyncApiRoutes } from './docs/asyncapi.js';
import { registerOpenApi } from './docs/openapi.js';
import { authRoutes } from './transport/http/auth-routes.js';
import { demoRoutes } from './transport/http/demo-routes.js';
import { healthRoutes, type ReadinessCheck } from './transport/http/health-routes.js';
import { registerHttpAuth } from './transport/http/http-auth.js';
import { registerHttpErrors } from './transport/http/http-errors.js';
import { registerJsonParser } from './transport/http/json-parser.js';
import { conversationRoutes } from './transport/http/conversation-routes.js';
import { messageRoutes } from './transport/http/message-routes.js';
import { metricsRoutes } from './transport/http/metrics-routes.js';
import { userRoutes } from './transport/http/user-routes.js';
import { attachAdminUi } from './transport/socket/admin-ui.js';
import { SocketNotifier } from './transport/socket/socket-notifier.js';
import { startSessionRecheck } from './transport/socket/session-recheck.js';
import { attachSocketHandlers, createSocketServer } from './transport/socket/socket-server.js';
import { ConnectionGuard } from './transport/socket/connection-guard.js';

/** A client's request id when it is short and plain (letters, digits, `_.:-`; at most 128). */
const saneRequestId = (id: unknown): string | undefined =>
  typeof id === 'string' && /^[\w.:-]{1,128}$/.test(id) ? id : undefined;

/**
 * Where Parley serves. By default it creates its own Fastify server. Library mode attaches it to the
 * host application's server instead — see `attachParley` in src/library.ts.
 */
export interface ParleyOptions {
  /**
   * A Node HTTP server (e.g. `http.createServer(expressApp)`, created with its request handler): Parley
   * answers its own REST paths and Socket.IO there and hands every other request to the server's handlers.
   */
  server?: HttpServer;
  /** A Fastify app: Parley's REST routes are registered in an encapsulated plugin, Socket.IO on its server. */
  fastify?: FastifyInstance;
  /** The host's own token verification and user lookup, instead of Parley's accounts and JWTs. */
  identity?: ExternalIdentity;
}

export interface Parley {
  readonly fastify: FastifyInstance;
  readonly io: ParleyServer;
  readonly services: Services;
  /**
   * Listens on `config.port`/`config.host` (port 0 picks a free port); resolves the base URL. Only for a
   * Parley with its own server: in library mode the host listens.
   */
  listen(): Promise<string>;
  /** Stops accepting, disconnects sockets, lets started work finish, then closes storage. Idempotent. */
  close(): Promise<void>;
}

/**
 * The composition root: the only place that knows which implementations run. Reads nothing from the
 * environment — everything comes in `config`.
 *
 * @example const app = await createApp(loadConfig(process.env)); const url = await app.listen();
 */
export async function createApp(config: Readonly<Config>, options: ParleyOptions = {}): Promise<Parley> {
  const standalone = !options.fastify && !options.server;
  const shared = options.server;
  // Per-request log lines are off: at chat rates they cost more than they tell. Errors are still logged.
  // Whose X-Forwarded-For is believed: one rule for REST, Socket.IO handshakes and admin UI logins.
  const trustProxy = trustFunction(config.trustProxy);
  const own = {
    logger: { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy,
    // Each request's id: the caller's `x-request-id` when it sends a sane one, else a fresh UUID. It is
    // on every log line of the request (`reqId`) and sent back as `x-request-id`. Checked before Fastify
    // binds it to the request's logger, so a client cannot put arbitrary text into the logs.
    requestIdHeader: false as const,
    genReqId: (request: IncomingMessage) => saneRequestId(request.headers['x-request-id']) ?? randomUUID(),
  };
  // Parley's own server only (a host's keeps its settings): a request must arrive whole within
  // `requestTimeout` (else 408, so slow bodies cannot hold connections), and a connection idle for
  // `connectionTimeout` is closed. Node looks for late requests every `connectionsCheckingInterval` (30 s
  // by default); a quarter of the timeout keeps the cut-off close to it. WebSockets are not affected (ws
  // clears the idle timeout on upgrade); the idle timeout is validated to exceed Socket.IO's 25 s poll.
  const timeouts = {
    requestTimeout: config.httpRequestTimeoutMs,
    connectionTimeout: config.httpConnectionTimeoutMs,
    http: {
      requestTimeout: config.httpRequestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.httpRequestTimeoutMs / 4)),
    },
  };
  const fastify: FastifyInstance =
    options.fastify ??
    (shared
      ? Fastify({
          ...own,
          serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) =>
            shareServer(shared, handler),
        })
      : Fastify({ ...own, ...timeouts }));
  const logger: Logger = fastify.log;

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
    allowRequest: connections.allowRequest,
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
  const notifier = new SocketNotifier(io);
  const users = new UserService(store, undefined, limits);
  const conversations = new ConversationService({ store, users, notifier, clock: systemClock, limits });
  const typing = new TypingService({
    state: realtime.typingState,
    users,
    conversations,
    store,
    clock: systemClock,
    notifier,
    logger,
    limits,
    timeoutMs: config.typingTimeoutMs,
  });
  const presence = new PresenceService({
    presence: realtime.presence,
    store,
    users,
    typing,
    notifier,
    clock: systemClock,
    logger,
    scope: config.presenceScope,
    onlineUsersEmail: config.onlineUsersEmail,
  });
  const services: Services = {
    users,
    conversations,
    typing,
    presence,
    auth: new AuthService({
      store,
      users,
      tokens: JoseTokenIssuer.fromConfig(config, secret),
      passwords: new BoundedPasswordHasher(new Argon2PasswordHasher(), config.maxPendingPasswordHashes),
      clock: systemClock,
      limits,
      registrationRoles: config.registrationRoles,
      ...(options.identity ? { identity: options.identity } : {}),
    }),
    messaging: new MessagingService({
      store,
      users,
      conversations,
      notifier,
      clock: systemClock,
      logger,
      limits,
      observer: {
        sendFinished: (seconds, outcome) => {
          metrics.sendDuration.observe({ outcome }, seconds);
          if (outcome === 'stored') metrics.messagesSent.inc();
        },
      },
      options: { maxContentLength: config.maxMessageLength, defaultPageSize: 50 },
    }),
  };
  const sockets = attachSocketHandlers(io, services, logger, {
    maxSocketsPerUser: config.maxSocketsPerUser,
    metrics,
    maxInflight: config.socketMaxInflight,
    guard: { connections, limits },
  });
  const recheck = startSessionRecheck(io, services.auth, logger, config.sessionRecheckMs);
  typing.start();
  if (realtime.redis) presence.start(Math.max(250, Math.floor(config.presenceTtlMs / 3)));

  let closing = false;
  const checks: ReadinessCheck[] = [{ name: 'storage', check: () => store.ping() }];
  const redis = realtime.redis;
  if (redis) checks.push({ name: 'redis', check: async () => void (await redis.commands.ping()) });
  // Everything HTTP in one scope: in a host's Fastify app it is an encapsulated plugin, so Parley's
  // parsers, hooks, headers and error handling stay on Parley's routes.
  const routes = async (api: FastifyInstance) => {
    api.addHook('onRequest', async (request, reply) => {
      // A host's Fastify (library mode) may take the header unchecked: Parley's answers carry a sane one.
      if (saneRequestId(request.id) === undefined) request.id = randomUUID();
      reply.header('x-request-id', request.id);
    });
    await api.register(cors, { origin: config.corsOrigins === '*' ? '*' : config.corsOrigins });
    // Security headers on every REST answer; the API serves JSON only, so the strictest CSP applies.
    await api.register(helmet, {
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"] } },
    });
    registerJsonParser(api);
    registerHttpErrors(api, (code) => metrics.errors.inc({ code, transport: 'http' }), {
      notFound: !options.fastify,
    });
    // The API's documentation at /docs, from the same schemas the routes validate with (not in a host app).
    if (!options.fastify) await registerOpenApi(api);
    const { requireUser } = registerHttpAuth(api, services.auth);
    healthRoutes(api, checks, () => closing);
    authRoutes(api, services, requireUser, { accounts: !options.identity });
    userRoutes(api, services, requireUser);
    messageRoutes(api, services, requireUser);
    conversationRoutes(api, services, requireUser);
    metricsRoutes(api, metrics.registry, config.metricsToken);
    asyncApiRoutes(api);
    if (standalone) demoRoutes(api);
  };
  if (options.fastify) await options.fastify.register(routes);
  else await routes(fastify);

  fastify.addHook('preClose', async () => {
    closing = true;
    presence.stop();
    // Clients see `transport close` and reconnect (elsewhere). Socket.IO's own close would also close
    // the HTTP server, which in library mode is the host's to close.
    if (standalone) await io.close();
    else io.engine.close();
  });
  fastify.addHook('onClose', async () => {
    await sockets.drain();
    await recheck.stop();
    await typing.close();
    await realtime.presence.close();
    if (redis) await Promise.allSettled([redis.commands.close(), redis.subscriber.close()]);
    await store.close();
  });

  // A shared server may already be listening: Parley's routes must be ready before any request comes.
  if (shared) await fastify.ready();

  let closed: Promise<void> | undefined;
  return {
    fastify,
    io,
    services,
    listen: () => {
      if (!standalone) throw new Error('In library mode the host application listens, not Parley');
      return fastify.listen({ port: config.port, host: config.host });
    },
    close: () => (closed ??= fastify.close()),
  };
}
