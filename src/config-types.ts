import type { Rate, TrustProxy } from './config-fields.js';

/** The settings as the rest of Parley sees them: validated, with defaults applied (see config.ts). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Unset means: generate one and keep it in `dataDir`. */
  jwtSecret?: string;
  jwtTtlSeconds: number;
  /** Refuse tokens without `exp`. */
  jwtRequireExp: boolean;
  /** Clock skew allowed when checking `exp`/`nbf`, in seconds. */
  jwtClockToleranceSeconds: number;
  /** Per-user (and, for failed logins, per-IP) limits; an absent one is off. */
  rateLimits: RateLimits;
  /** The Socket.IO admin UI (`@socket.io/admin-ui`, read-only, namespace `/admin`): off unless set. */
  adminUi?: { username: string; passwordHash: string; origin: string };
  /** When set, `GET /metrics` requires `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** Whose `X-Forwarded-For` to believe for the client IP (login and registration limits). */
  trustProxy: TrustProxy;
  /** Roles a user may choose at public registration (`*`: any); others register as `customer`. */
  registrationRoles: readonly string[];
  /** Most argon2 hashes and verifications (logins, registrations) running or waiting at once. */
  maxPendingPasswordHashes: number;
  /** Most sockets one user may hold open on one process; more are refused at the handshake. */
  maxSocketsPerUser: number;
  /** Most engine.io sessions one client IP may hold open on one process; unset means no cap. */
  maxConnectionsPerIp?: number;
  /** Most event handlers of one socket running at once; a socket sending more is disconnected. */
  socketMaxInflight: number;
  /** Own HTTP server: time to receive a whole request, and socket idle time, before it is cut off. */
  httpRequestTimeoutMs: number;
  httpConnectionTimeoutMs: number;
  /** How often each process re-checks the users holding its sockets (deleted or disabled: disconnected). */
  sessionRecheckMs: number;
  /** When set, tokens are issued with this `iss`/`aud` and only tokens carrying them are accepted. */
  jwtIssuer?: string;
  jwtAudience?: string;
  /**
   * The claims that may carry the user id, tried in order. The default also reads tokens minted by other
   * systems; narrow it (to `sub`) when other kinds of token share the secret.
   */
  jwtIdClaims: readonly string[];
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  maxMessageLength: number;
  /** Most members a group may have (its owner included). */
  maxGroupMembers: number;
  typingTimeoutMs: number;
  /** `*` for any origin, or a list of allowed origins. */
  corsOrigins: '*' | string[];
  databasePoolMax: number;
  /** Largest REST request body accepted (413 above). */
  bodyLimitBytes: number;
  /** Largest Socket.IO message accepted; a client sending more is disconnected (that client only). */
  socketMaxPayloadBytes: number;
  /** Prefix of every Redis key and pub/sub channel Parley uses. */
  redisPrefix: string;
  /** How long a connection's presence entry lives in Redis without a refresh. */
  presenceTtlMs: number;
  /** Who is told about whose presence: everyone (the spec), or users who share a conversation. */
  presenceScope: 'all' | 'contacts';
  /** Whether `online_users` entries carry each user's `email`, as the seed's payload does. */
  onlineUsersEmail: boolean;
  /** Socket.IO fan-out over Redis: sharded pub/sub (Redis 7+, a channel per room) or classic pub/sub. */
  redisAdapter: 'sharded' | 'classic';
}

/** Each action's windows (a call must fit in every one); an absent or empty list is no limit. */
export interface RateLimits {
  /** `send_message` and `POST /api/messages`, per sender: per minute and per second (burst). */
  send?: readonly Rate[];
  /** `typing_start` and `typing_stop`, per typist. */
  typing?: readonly Rate[];
  /** `mark_message_read` and `PATCH /api/messages/:id/read`, per reader. */
  read?: readonly Rate[];
  /** Failed logins per account (email or username) and client IP; reaching it blocks for the duration. */
  loginAccount?: readonly Rate[];
  /** Failed logins per account from any IP. */
  loginAccountAllIps?: readonly Rate[];
  /** Failed logins per client IP, whatever the account. */
  loginIp?: readonly Rate[];
  /** Registration attempts per client IP. */
  registerIp?: readonly Rate[];
  /** Registration attempts across all clients. */
  register?: readonly Rate[];
  /** Reads (history, sync, unread count, user search; socket and REST together), per user. */
  query?: readonly Rate[];
  /** Groups created, per user. */
  groupCreate?: readonly Rate[];
  /** Changes to groups (title, members, roles, leaving), per user. */
  membership?: readonly Rate[];
  /** Failed Socket.IO handshakes (refused authentication) per client IP; past it, handshakes are refused. */
  handshakeFailure?: readonly Rate[];
  /** Admin UI password attempts per client IP (each one costs a bcrypt check); a success clears it. */
  adminUi?: readonly Rate[];
  /** Admin UI password attempts from all addresses together. */
  adminUiAll?: readonly Rate[];
}
