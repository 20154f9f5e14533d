import type { Server as HttpServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { createApp, type Parley } from './app.js';
import { loadConfig, type Config } from './config.js';
import type { ExternalIdentity } from './services/ports.js';

export interface AttachOptions {
  /** Parley's settings, as environment variables (the same names as for `npm start`). Default: none. */
  env?: Record<string, string | undefined>;
  /** Or an already loaded configuration (`loadConfig`). */
  config?: Readonly<Config>;
  /**
   * The host application's own token verification and user lookup. Without it, Parley's own accounts
   * (`/api/auth/register`, `/api/auth/login`) and JWTs are used.
   */
  identity?: ExternalIdentity;
}

const isFastify = (target: HttpServer | FastifyInstance): target is FastifyInstance =>
  typeof (target as FastifyInstance).register === 'function' &&
  typeof (target as FastifyInstance).addHook === 'function';

/**
 * Library mode: attaches Parley — its REST routes and Socket.IO — to a server the application already
 * has, instead of running its own. Call it before the host listens.
 *
 * - A Node HTTP server (an Express 5 app's `http.createServer(app)`, created with its handler): Parley
 *   answers `/api/auth/*`, `/api/users*`, `/api/messages*`, `/healthz`, `/readyz`, `/metrics` and
 *   Socket.IO's `/socket.io/`; every other request goes to the server's own handlers.
 * - A Fastify app: the routes are registered in an encapsulated plugin (Parley's parsers, hooks and
 *   error handling stay on its routes); Socket.IO attaches to the app's server; closing the app closes
 *   Parley.
 *
 * `close()` stops Parley (sockets are told to reconnect, storage closed) without closing the host server.
 *
 * @example
 * const server = http.createServer(expressApp);
 * const parley = await attachParley(server, {
 *   env: { DATA_DIR: './chat', JWT_SECRET: process.env.JWT_SECRET },
 *   identity: {
 *     verifyToken: async (token) => (await myAuth.verify(token))?.userId,
 *     findUser: async (id) => myUsers.get(id), // { name, username, email?, role? }
 *   },
 * });
 * server.listen(3000);
 */
export async function attachParley(
  target: HttpServer | FastifyInstance,
  options: AttachOptions = {},
): Promise<Parley> {
  const config = options.config ?? loadConfig(options.env ?? {});
  const identity = options.identity ? { identity: options.identity } : {};
  return createApp(
    config,
    isFastify(target) ? { fastify: target, ...identity } : { server: target, ...identity },
  );
}
