import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';

/** Parley's REST paths: in a shared server, these go to Parley and everything else to the host. */
const PARLEY_PATHS = /^\/(?:api\/(?:auth|users|messages)|healthz|readyz|metrics)(?:[/?]|$)/;

/** Routes the server's requests: Parley's paths to `handler`, the rest to the listeners it already had. */
export function shareServer(
  server: HttpServer,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
) {
  const host = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (host.length === 0 || PARLEY_PATHS.test(req.url ?? '/')) handler(req, res);
    else for (const listener of host) listener.call(server, req, res);
  });
  return server;
}
