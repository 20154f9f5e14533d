import { defaultMessages } from '../../domain/errors.js';
import type { User } from '../../domain/types.js';
import type { AuthService } from '../../services/auth-service.js';
import type { Logger } from '../../services/ports.js';
import type { ParleyServer, ParleySocket } from './socket-types.js';

/**
 * Every `intervalMs`, asks `auth.revokedUsers` about the users holding sockets on this process (one
 * batched storage read) and disconnects the sockets of those deleted or disabled since their handshake:
 * each first receives `error` {message: 'Authentication error: User not found'}, then the server closes
 * it (`io server disconnect`, which clients do not retry by themselves). Each process sweeps its own
 * sockets against the shared storage, so a change made anywhere — the CLI, another process, SQL — reaches
 * every process within one interval. Sweeps never overlap; a failed one disconnects nobody.
 *
 * @example const recheck = startSessionRecheck(io, services.auth, logger, 5000); … await recheck.stop();
 */
export function startSessionRecheck(
  io: ParleyServer,
  auth: AuthService,
  logger: Logger,
  intervalMs: number,
): { stop(): Promise<void> } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;

  const sweep = async (): Promise<void> => {
    const held = new Map<string, { user: User; sockets: ParleySocket[] }>();
    for (const socket of io.of('/').sockets.values()) {
      const { user } = socket.data;
      if (!user) continue;
      const entry = held.get(user.id) ?? { user, sockets: [] };
      entry.sockets.push(socket);
      held.set(user.id, entry);
    }
    if (held.size === 0) return;
    const revoked = await auth.revokedUsers(
      [...held.values()].map((h) => h.user),
      (err, userId) => logger.warn({ err, userId }, 'session re-check: the host user lookup failed'),
    );
    for (const userId of revoked) {
      const sockets = held.get(userId)?.sockets ?? [];
      logger.info({ userId, sockets: sockets.length }, 'user deleted or disabled: closing their sockets');
      for (const socket of sockets) {
        socket.emit('error', { message: defaultMessages.TOKEN_USER_NOT_FOUND });
        socket.disconnect(true);
      }
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = sweep()
        .catch((err: unknown) => logger.warn({ err }, 'session re-check failed; will retry'))
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return {
    /** No more sweeps; resolves once one already running has finished (before storage closes). */
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
