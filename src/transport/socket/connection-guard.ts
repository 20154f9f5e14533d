import type { IncomingMessage } from 'node:http';
import { clientIp, type TrustFunction } from '../../security/client-ip.js';
import { RateLimitedError } from '../../domain/errors.js';
import type { Logger, RateLimiter } from '../../services/ports.js';
import type { ParleyServer } from './socket-types.js';

type AllowRequest = (
  req: IncomingMessage,
  callback: (err: string | null | undefined, success: boolean) => void,
) => void;

/**
 * Per-IP limits on the Socket.IO transport, checked before any session exists (engine.io's
 * `allowRequest`, which runs on each new handshake, never on requests of an open session):
 *
 * - at most `maxPerIp` engine.io sessions open at once per client IP on this process (unset: no cap);
 * - after too many failed handshakes (refused authentication) from an IP, within the `handshakeFailure`
 *   rate limit's window, that IP's handshakes are refused until the window ends.
 *
 * A refused handshake is answered `403 {"code": 4, "message": "…"}` (polling) or `400` with the message
 * (WebSocket). Sessions are counted when engine.io opens them, so near-simultaneous handshakes may
 * overshoot the cap by a few.
 *
 * @example const guard = new ConnectionGuard({ maxPerIp: 1000, trustProxy: trustFunction(false), logger });
 *          new Server(httpServer, { allowRequest: guard.allowRequest }); guard.watch(io, limits);
 */
export class ConnectionGuard {
  private readonly sessions = new Map<string, number>();
  /** engine.io connections with a Socket.IO handshake under way. */
  private readonly authenticating = new WeakSet<object>();
  private limits?: RateLimiter;
  private refused: () => void = () => {};

  constructor(private readonly options: { maxPerIp?: number; trustProxy: TrustFunction; logger: Logger }) {}

  readonly allowRequest: AllowRequest = (req, callback) => {
    const ip = clientIp(req, this.options.trustProxy);
    const refuse = (message: string) => {
      this.refused();
      callback(message, false);
    };
    const refusal = this.overCap(ip);
    if (refusal) return refuse(refusal);
    if (!this.limits) return callback(null, true);
    this.limits.check('handshakeFailure', ip).then(
      () => {
        const late = this.overCap(ip);
        if (late) refuse(late);
        else callback(null, true);
      },
      (err: unknown) => {
        if (err instanceof RateLimitedError) return refuse(err.message);
        // The limiter's store is down: let the handshake through rather than refuse everyone.
        this.options.logger.error({ err }, 'checking the failed handshake limit failed');
        callback(null, true);
      },
    );
  };

  /**
   * Starts counting `io`'s engine.io sessions per IP, and failed handshakes with `limits`; `refused` is
   * told of each handshake this guard refuses.
   */
  watch(io: ParleyServer, limits: RateLimiter, refused: () => void = () => {}): void {
    this.limits = limits;
    this.refused = refused;
    io.engine.on(
      'connection',
      (socket: { request: IncomingMessage; once(e: 'close', f: () => void): void }) => {
        const ip = clientIp(socket.request, this.options.trustProxy);
        this.sessions.set(ip, (this.sessions.get(ip) ?? 0) + 1);
        socket.once('close', () => {
          const left = (this.sessions.get(ip) ?? 1) - 1;
          if (left > 0) this.sessions.set(ip, left);
          else this.sessions.delete(ip);
        });
      },
    );
  }

  /**
   * Socket.IO middleware, before authentication. An engine.io session is let through `allowRequest` once,
   * but one long-polling POST can then carry thousands of CONNECT packets, each starting its own
   * authentication (Socket.IO refuses a second CONNECT only once the first has finished): so one
   * connection gets one handshake at a time — a second while one is under way is refused and the
   * connection closed — and every handshake is refused, before any token is checked, while its IP is past
   * the failed-handshake limit. `authenticated` (after authentication, either way) frees the connection.
   */
  readonly beforeAuth = (
    socket: { conn: object; request: IncomingMessage },
    next: (err?: Error) => void,
  ): void => {
    const { conn } = socket;
    if (this.authenticating.has(conn)) {
      this.refused();
      next(new Error('Too many connection attempts at once on one connection'));
      (conn as { close?: () => void }).close?.();
      return;
    }
    this.authenticating.add(conn);
    const ip = clientIp(socket.request, this.options.trustProxy);
    if (!this.limits) return next();
    this.limits.check('handshakeFailure', ip).then(
      () => next(),
      (err: unknown) => {
        this.authenticated(socket);
        if (err instanceof RateLimitedError) {
          this.refused();
          return next(new Error(err.message));
        }
        this.options.logger.error({ err }, 'checking the failed handshake limit failed');
        next();
      },
    );
  };

  /** The handshake on this connection has been authenticated or refused: another may start. */
  authenticated(socket: { conn: object }): void {
    this.authenticating.delete(socket.conn);
  }

  /** A handshake of this request was refused (its authentication failed): it counts against the IP. */
  failed(req: IncomingMessage): void {
    const ip = clientIp(req, this.options.trustProxy);
    this.limits?.consume('handshakeFailure', ip).catch((err: unknown) => {
      if (!(err instanceof RateLimitedError)) {
        this.options.logger.error({ err }, 'counting a failed handshake failed');
      }
    });
  }

  private overCap(ip: string): string | undefined {
    const { maxPerIp } = this.options;
    if (maxPerIp === undefined || (this.sessions.get(ip) ?? 0) < maxPerIp) return undefined;
    return `Too many connections: at most ${maxPerIp} per address`;
  }
}
