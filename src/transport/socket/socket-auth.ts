import type { AuthService } from '../../services/auth-service.js';
import type { Logger } from '../../services/ports.js';
import { toWireError } from '../error-map.js';
import type { ParleySocket } from './socket-types.js';

/** The handshake's token: `auth.token` (with or without `Bearer `), else the `Authorization` header. */
export function handshakeToken(socket: ParleySocket): unknown {
  const auth = socket.handshake.auth as Record<string, unknown> | undefined;
  const fromAuth = auth && typeof auth === 'object' ? auth.token : undefined;
  if (fromAuth !== undefined && fromAuth !== null && fromAuth !== '') return fromAuth;
  return socket.handshake.headers.authorization;
}

/**
 * Socket.IO middleware: refuses the connection with `connect_error` carrying the spec's
 * `Authentication error: …` message, or sets `socket.data.user`.
 */
export function socketAuth(
  auth: AuthService,
  logger: Logger,
  refused: (socket: ParleySocket, err: unknown) => void = () => {},
) {
  return (socket: ParleySocket, next: (err?: Error) => void): void => {
    auth.session(handshakeToken(socket)).then(
      ({ user, expiresAt }) => {
        socket.data.user = user;
        if (expiresAt !== undefined) socket.data.expiresAt = expiresAt;
        next();
      },
      (err: unknown) => {
        refused(socket, err);
        next(new Error(toWireError(err, logger).message));
      },
    );
  };
}

/** setTimeout's longest delay; later expiries are re-armed in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Disconnects the socket when its token expires, after telling it with `error` {message}. The client
 * gets `disconnect` with reason `io server disconnect` and does not reconnect by itself: it needs a new
 * token.
 */
export function expireWithToken(socket: ParleySocket, message: string): void {
  const { expiresAt } = socket.data;
  if (expiresAt === undefined) return;
  let timer: NodeJS.Timeout;
  const arm = () => {
    const delay = expiresAt - Date.now();
    if (delay > MAX_DELAY_MS) {
      timer = setTimeout(arm, MAX_DELAY_MS);
      return;
    }
    timer = setTimeout(
      () => {
        socket.emit('error', { message });
        socket.disconnect(true);
      },
      Math.max(0, delay),
    );
  };
  arm();
  socket.once('disconnect', () => clearTimeout(timer));
}
