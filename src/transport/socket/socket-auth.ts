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
export function socketAuth(auth: AuthService, logger: Logger) {
  return (socket: ParleySocket, next: (err?: Error) => void): void => {
    auth.authenticate(handshakeToken(socket)).then(
      (user) => {
        socket.data.user = user;
        next();
      },
      (err: unknown) => next(new Error(toWireError(err, logger).message)),
    );
  };
}
