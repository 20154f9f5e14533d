import type { Server as HttpServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { createApp, type Parley, type ParleyPluginOptions } from './app.js';
import { loadConfig } from './config.js';

/** Parley's settings (`env` or `config`) and, optionally, the host's `identity` and `hooks`. */
export type AttachOptions = Omit<ParleyPluginOptions, 'standalone'>;

const isFastify = (target: HttpServer | FastifyInstance): target is FastifyInstance =>
  typeof (target as FastifyInstance).register === 'function' &&
  typeof (target as FastifyInstance).addHook === 'function';

/**
 * Library mode: attaches Parley — its REST routes, their documents (`/docs`, `/asyncapi.json`) and
 * Socket.IO — to a server the application already has, instead of running its own. Call it before the
 * host listens.
 *
 * - A Node HTTP server (an Express 5 app's `http.createServer(app)`, created with its handler): Parley
 *   gets a Fastify instance of its own on that server. A request goes to Parley when that instance's
 *   router has a route for it (Socket.IO's `/socket.io/` is taken before); every other request goes to
 *   the server's own handlers, its body unread.
 * - A Fastify app: the same as `app.register(parley, options)` — the routes are registered in an
 *   encapsulated scope (Parley's parsers, hooks and error handling stay on its routes); Socket.IO attaches
 *   to the app's server; closing the app closes Parley.
 *
 * `close()` stops Parley (sockets are told to reconnect, storage closed) without closing the host's app
 * or server.
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
  const host = {
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
  };
  return createApp(config, isFastify(target) ? { fastify: target, ...host } : { server: target, ...host });
}
