import { randomBytes } from 'node:crypto';
import { AppError } from '../../domain/errors.js';
import { handshakeIp, trustFunction, type TrustFunction } from '../../security/client-ip.js';
import type { Logger, RateLimiter } from '../../services/ports.js';

/** What the guard reads of a connecting socket (a Socket.IO `Socket` of the admin namespace). */
export interface AdminHandshake {
  handshake: { auth: Record<string, unknown>; address: string; headers: Record<string, unknown> };
  emit(event: 'session', sessionId: string): unknown;
}

/** The admin UI's sessions (`@socket.io/admin-ui`'s store): a session id stands for a past login. */
export interface AdminSessions {
  doesSessionExist(sessionId: string): Promise<boolean>;
  saveSession(sessionId: string): void;
}

export interface AdminUiGuardOptions {
  username: string;
  /** The password check (bcrypt): resolves whether `password` matches; may reject. */
  verify(password: string): Promise<boolean>;
  sessions: AdminSessions;
  /** Counts attempts per client IP under the `adminUi` action. */
  limits: RateLimiter;
  logger: Logger;
  /** Whose X-Forwarded-For to believe for the client IP (behind a reverse proxy); none by default. */
  trustProxy?: TrustFunction;
  /** Password checks allowed to run at once (default 1); the others wait in a queue. */
  concurrency?: number;
  /** Attempts allowed to wait for a check (default 16); past it, attempts are refused at once. */
  queueLimit?: number;
}

/** admin-ui's own refusal, kept so its page shows the usual "invalid credentials". */
const INVALID = 'invalid credentials';
/** Longer than any password a bcrypt hash can tell apart (72 bytes), with room for multi-byte text. */
const MAX_FIELD_LENGTH = 1024;

/**
 * A middleware for the admin UI's namespace, registered before `instrument`'s own. That one runs a
 * bcrypt check (about 0.25 s of CPU on the event loop at cost 12) for every attempt, with no limit, and
 * rejects unhandled when the password is not a string — which in a host application (library mode)
 * ends the process. This guard instead:
 *
 * - refuses credentials that are not short strings (and a session id that is not one), before any work;
 * - counts password attempts per client IP (`RATE_LIMIT_ADMIN_UI`) before checking, so past the limit
 *   an attempt is refused at once; a successful login clears the count;
 * - runs at most `concurrency` password checks at a time, and refuses attempts once `queueLimit` wait;
 * - on success, opens an admin-ui session and hands its id on, so `instrument`'s middleware accepts the
 *   socket without a second bcrypt check (the page is sent the id, as admin-ui does, to reconnect with);
 * - settles every attempt with `next()` or `next(error)`, never throws or rejects.
 *
 * @example io.of('/admin').use(adminUiGuard({ username, verify, sessions, limits, logger }));
 */
export function adminUiGuard(options: AdminUiGuardOptions) {
  const gate = new Gate(options.concurrency ?? 1, options.queueLimit ?? 16);
  const check = async (socket: AdminHandshake): Promise<void> => {
    const { auth } = socket.handshake;
    const { sessionId, username, password } = auth;
    if (sessionId !== undefined && sessionId !== null && sessionId !== '') {
      if (!isField(sessionId)) throw new Error(INVALID);
      if (await options.sessions.doesSessionExist(sessionId)) return;
    }
    if (!isField(username) || !isField(password)) throw new Error(INVALID);
    const ip = handshakeIp(socket.handshake, options.trustProxy ?? trustFunction(false));
    await options.limits.consume('adminUi', ip);
    // Across all addresses too: many addresses must not keep a bcrypt check running on the event loop.
    await options.limits.consume('adminUiAll', 'all');
    if (username !== options.username) throw new Error(INVALID);
    if (!(await gate.run(() => options.verify(password)))) throw new Error(INVALID);
    await options.limits.reset('adminUi', ip);
    const session = randomBytes(16).toString('hex');
    options.sessions.saveSession(session);
    auth.sessionId = session;
    socket.emit('session', session);
  };
  return (socket: AdminHandshake, next: (err?: Error) => void): void => {
    check(socket).then(
      () => next(),
      (err: unknown) => {
        if (err instanceof AppError) return next(new Error(err.message));
        if (!(err instanceof Error && err.message === INVALID)) {
          options.logger.warn({ err }, 'admin UI login failed');
        }
        next(new Error(INVALID));
      },
    );
  };
}

const isField = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD_LENGTH;

/** Runs at most `slots` tasks at once; up to `queueLimit` more wait their turn, the rest are refused. */
class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly slots: number,
    private readonly queueLimit: number,
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.slots) {
      if (this.waiting.length >= this.queueLimit) {
        throw new AppError('RATE_LIMITED', 'Too many admin UI login attempts at once: try again later');
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active += 1;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }
}
