import { join } from 'node:path';
import cors from '@fastify/cors';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { ConfigError } from './config.js';
import { MemoryPresence } from './presence/memory-presence.js';
import { Argon2PasswordHasher } from './security/argon2-password-hasher.js';
import { JoseTokenIssuer } from './security/jose-token-issuer.js';
import { loadOrCreateSecret } from './security/secret-file.js';
import { AuthService } from './services/auth-service.js';
import { MessagingService } from './services/messaging-service.js';
import { systemClock, type Logger } from './services/ports.js';
import { PresenceService } from './services/presence-service.js';
import type { Services } from './services/services.js';
import { TypingService } from './services/typing-service.js';
import { UserService } from './services/user-service.js';
import { KyselyStore } from './store/kysely-store.js';
import { migrateToLatest } from './store/migrations.js';
import { createSqliteDialect } from './store/sqlite-dialect.js';
import { registerJsonParser } from './transport/http/json-parser.js';
import { authRoutes } from './transport/http/auth-routes.js';
import { healthRoutes } from './transport/http/health-routes.js';
import { registerHttpAuth } from './transport/http/http-auth.js';
import { registerHttpErrors } from './transport/http/http-errors.js';
import { messageRoutes } from './transport/http/message-routes.js';
import { userRoutes } from './transport/http/user-routes.js';
import { SocketNotifier } from './transport/socket/socket-notifier.js';
import { attachSocketHandlers, createSocketServer } from './transport/socket/socket-server.js';
import type { ParleyServer } from './transport/socket/socket-types.js';

export interface Parley {
  readonly fastify: FastifyInstance;
  readonly io: ParleyServer;
  readonly services: Services;
  /** Listens on `config.port`/`config.host` (port 0 picks a free port); resolves the base URL. */
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
export async function createApp(config: Readonly<Config>): Promise<Parley> {
  // Per-request log lines are off: at chat rates they cost more than they tell. Errors are still logged.
  const fastify = Fastify({
    logger: { level: config.logLevel },
    logController: new LogController({ disableRequestLogging: true }),
  });
  const logger: Logger = fastify.log;

  if (config.databaseUrl || config.redisUrl) {
    throw new ConfigError(
      'Invalid configuration: DATABASE_URL and REDIS_URL are not supported by this version yet',
    );
  }

  const dbFile = join(config.dataDir, 'parley.db');
  const dialect = createSqliteDialect(dbFile);
  const store = new KyselyStore(dialect);
  const applied = await migrateToLatest(dialect);
  logger.info({ storage: 'sqlite', file: dbFile, migrationsApplied: applied }, 'storage ready');
  const presence = new MemoryPresence();
  logger.info({ presence: 'memory' }, 'presence ready');

  let secret = config.jwtSecret;
  if (!secret) {
    const kept = loadOrCreateSecret(config.dataDir);
    secret = kept.secret;
    if (kept.created) {
      logger.warn(
        { file: kept.file },
        'JWT_SECRET is not set: generated a random secret and kept it in DATA_DIR; set JWT_SECRET in production',
      );
    }
  }

  const io = createSocketServer(fastify.server, { corsOrigins: config.corsOrigins });
  const notifier = new SocketNotifier(io);
  const users = new UserService(store);
  const typing = new TypingService({ users, notifier, timeoutMs: config.typingTimeoutMs });
  const services: Services = {
    users,
    typing,
    auth: new AuthService({
      store,
      users,
      tokens: new JoseTokenIssuer({ secret, ttlSeconds: config.jwtTtlSeconds }),
      passwords: new Argon2PasswordHasher(),
      clock: systemClock,
    }),
    messaging: new MessagingService({
      store,
      users,
      notifier,
      clock: systemClock,
      logger,
      options: { maxContentLength: config.maxMessageLength, defaultPageSize: 50 },
    }),
    presence: new PresenceService({ presence, store, users, typing, notifier, clock: systemClock, logger }),
  };
  const sockets = attachSocketHandlers(io, services, logger);

  await fastify.register(cors, { origin: config.corsOrigins === '*' ? '*' : config.corsOrigins });
  registerJsonParser(fastify);
  registerHttpErrors(fastify, logger);
  const { requireUser } = registerHttpAuth(fastify, services.auth);
  let closing = false;
  healthRoutes(fastify, [{ name: 'storage', check: () => store.ping() }], () => closing);
  authRoutes(fastify, services, requireUser);
  userRoutes(fastify, services, requireUser);
  messageRoutes(fastify, services, requireUser);

  fastify.addHook('preClose', async () => {
    closing = true;
    await io.close();
  });
  fastify.addHook('onClose', async () => {
    await sockets.drain();
    typing.close();
    await presence.close();
    await store.close();
  });

  let closed: Promise<void> | undefined;
  return {
    fastify,
    io,
    services,
    listen: () => fastify.listen({ port: config.port, host: config.host }),
    close: () => (closed ??= fastify.close()),
  };
}
