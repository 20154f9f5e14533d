import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController } from 'fastify';
import type { Config } from '../../config.js';
import { trustFunction } from '../../security/client-ip.js';

/** A client's request id when it is short and plain (letters, digits, `_.:-`; at most 128). */
export const saneRequestId = (id: unknown): string | undefined =>
  typeof id === 'string' && /^[\w.:-]{1,128}$/.test(id) ? id : undefined;

/**
 * The options of a Fastify instance that is Parley's own: standalone, or over a host's HTTP server. (A
 * host's Fastify app keeps its own.)
 */
export function fastifyOptions(config: Readonly<Config>) {
  return {
    // Per-request log lines are off: at chat rates they cost more than they tell. Errors are still logged.
    logger: { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    // Whose X-Forwarded-For is believed: one rule for REST, Socket.IO handshakes and admin UI logins.
    trustProxy: trustFunction(config.trustProxy),
    // Each request's id: the caller's `x-request-id` when it sends a sane one, else a fresh UUID. It is
    // on every log line of the request (`reqId`) and sent back as `x-request-id`. Checked before Fastify
    // binds it to the request's logger, so a client cannot put arbitrary text into the logs.
    requestIdHeader: false as const,
    genReqId: (request: IncomingMessage) => saneRequestId(request.headers['x-request-id']) ?? randomUUID(),
  };
}

/**
 * Parley's own server only (a host's keeps its settings): a request must arrive whole within
 * `requestTimeout` (else 408, so slow bodies cannot hold connections), and a connection idle for
 * `connectionTimeout` is closed. Node looks for late requests every `connectionsCheckingInterval` (30 s
 * by default); a quarter of the timeout keeps the cut-off close to it. WebSockets are not affected (ws
 * clears the idle timeout on upgrade); the idle timeout is validated to exceed Socket.IO's 25 s poll.
 */
export function serverTimeouts(config: Readonly<Config>) {
  return {
    requestTimeout: config.httpRequestTimeoutMs,
    connectionTimeout: config.httpConnectionTimeoutMs,
    http: {
      requestTimeout: config.httpRequestTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.ceil(config.httpRequestTimeoutMs / 4)),
    },
  };
}
