import { InMemoryStore, instrument } from '@socket.io/admin-ui';
import type { TrustFunction } from '../../security/client-ip.js';
import bcrypt from 'bcryptjs';
import type { Logger, RateLimiter } from '../../services/ports.js';
import { adminUiGuard, type AdminHandshake } from './admin-ui-guard.js';
import type { ParleyServer } from './socket-types.js';

export interface AdminUiSettings {
  username: string;
  /** A bcrypt hash of the password. */
  passwordHash: string;
}

/**
 * The Socket.IO admin UI (`@socket.io/admin-ui`, read-only, namespace `/admin`), behind `adminUiGuard`:
 * logins are rate limited per client IP, password checks run one at a time, bad input is refused.
 * Call once, before clients connect; the CORS settings for the UI's origin are `createSocketServer`'s.
 *
 * @example attachAdminUi(io, config.adminUi, { limits, logger, trustProxy: trustFunction(config.trustProxy) });
 */
export function attachAdminUi(
  io: ParleyServer,
  settings: AdminUiSettings,
  deps: { limits: RateLimiter; logger: Logger; trustProxy: TrustFunction },
): void {
  const sessions = new InMemoryStore();
  const guard = adminUiGuard({
    username: settings.username,
    verify: (password) => bcrypt.compare(password, settings.passwordHash),
    sessions,
    limits: deps.limits,
    logger: deps.logger,
    trustProxy: deps.trustProxy,
  });
  // Namespace middlewares run in the order they are registered: the guard goes before instrument's.
  io.of('/admin').use((socket, next) => guard(socket as unknown as AdminHandshake, next));
  instrument(io as unknown as Parameters<typeof instrument>[0], {
    auth: { type: 'basic', username: settings.username, password: settings.passwordHash },
    store: sessions,
    mode: 'production',
    readonly: true,
  });
}
