import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import Fastify, { type FastifyHttpOptions, type FastifyInstance, type HTTPMethods } from 'fastify';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Whether `fastify` has a route for this request, asked of its own router: `findRoute` matches a URL
 * (query string and parameters included) as a request is matched, so every route registered on the
 * instance counts and there is no list of paths to keep. A CORS preflight is asked about the method it
 * announces, since @fastify/cors answers `OPTIONS` on every path; any other `OPTIONS` is not Fastify's.
 */
export function hasRouteFor(fastify: FastifyInstance, req: IncomingMessage): boolean {
  let method = req.method ?? 'GET';
  if (method === 'OPTIONS') {
    const announced = req.headers['access-control-request-method'];
    if (typeof announced !== 'string') return false;
    method = announced;
  }
  const url = req.url ?? '/';
  // A path that cannot be decoded is no route's (findRoute would give Fastify's bad-URL answer).
  try {
    decodeURI(url.split('?', 1)[0] ?? '');
  } catch {
    return false;
  }
  return fastify.findRoute({ method: method.toUpperCase() as HTTPMethods, url }) !== null;
}

/**
 * A Fastify instance serving on a host's HTTP server (e.g. `http.createServer(expressApp)`, created with
 * its request handler): requests the instance has a route for go to Fastify, every other one to the
 * listeners the server already had, untouched (Fastify has not read their bodies). Socket.IO, attached to
 * the server afterwards, takes `/socket.io/` before either. A server without listeners gives Fastify
 * every request. The instance does not listen: the host does, and closing the instance leaves the server
 * to the host.
 */
export function fastifyOnServer(
  server: HttpServer,
  options: FastifyHttpOptions<HttpServer>,
): FastifyInstance {
  const host = server.listeners('request') as RequestListener[];
  const fastify: FastifyInstance = Fastify({
    ...options,
    serverFactory: (handler: RequestListener) => {
      server.removeAllListeners('request');
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (host.length === 0 || hasRouteFor(fastify, req)) handler(req, res);
        else for (const listener of host) listener.call(server, req, res);
      });
      return server;
    },
  });
  return fastify;
}
