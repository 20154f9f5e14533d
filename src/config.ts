import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Every setting Parley reads, validated once at start. `loadConfig` is the only reader of the
 * environment; the frozen result is passed down. Invalid settings throw `ConfigError` naming each one.
 *
 * @example const config = loadConfig(process.env);
 */

const DURATION = /^(\d+)\s*(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;

const int = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be an integer between ${min} and ${max}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, `${name} must be an integer between ${min} and ${max}`)
        .max(max, `${name} must be an integer between ${min} and ${max}`),
    );

/** A rate: `<count>/<duration>` such as `300/60s`, `10/15m`; `off` or `0` disables it. */
const RATE = /^(\d+)\s*\/\s*(\d+)\s*(s|m|h)?$/;
export interface Rate {
  points: number;
  durationSeconds: number;
}
const rate = (name: string, fallback: string) =>
  z
    .string()
    .trim()
    .default(fallback)
    .refine(
      (v) => v === 'off' || v === '0' || (RATE.test(v) && Number(RATE.exec(v)?.[1]) > 0),
      `${name} must be a rate such as ${fallback} (count/duration, duration in s, m or h), or off`,
    )
    .transform((v): Rate | undefined => {
      const m = RATE.exec(v);
      if (!m) return undefined;
      const seconds = Number(m[2]) * UNIT_SECONDS[(m[3] ?? 's') as keyof typeof UNIT_SECONDS];
      return seconds > 0 ? { points: Number(m[1]), durationSeconds: seconds } : undefined;
    });

/**
 * Which proxies' `X-Forwarded-For` entries to believe: `false` (none: the client IP is the peer's
 * address), a hop count (`1`: the address the nearest proxy saw; `true` means 1), or a comma-separated
 * list of proxy addresses and CIDR ranges (`10.0.0.0/8,127.0.0.1`, also `loopback`, `linklocal`,
 * `uniquelocal`). Trusting every hop would let a client pick its own IP by sending the header itself.
 */
export type TrustProxy = false | number | string[];
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const isProxyAddress = (entry: string) => {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
};
const trustProxy = z
  .string()
  .trim()
  .default('false')
  .refine(
    (v) =>
      /^(true|false|on|off|yes|no|\d{1,2})$/.test(v) ||
      v
        .split(',')
        .map((e) => e.trim())
        .every(isProxyAddress),
    'TRUST_PROXY must be false, a hop count (1 = the nearest proxy; true means 1), or a comma-separated list of proxy addresses or CIDR ranges',
  )
  .transform((v): TrustProxy => {
    if (['false', 'off', 'no', '0'].includes(v)) return false;
    if (['true', 'on', 'yes'].includes(v)) return 1;
    if (/^\d+$/.test(v)) return Number(v);
    return v.split(',').map((e) => e.trim());
  });

const bool = (name: string, fallback: boolean) =>
  z
    .enum(['true', 'false', 'on', 'off', '1', '0', 'yes', 'no'], {
      error: `${name} must be true or false`,
    })
    .default(fallback ? 'true' : 'false')
    .transform((v) => ['true', 'on', '1', 'yes'].includes(v));

const url = (name: string, protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );

const schema = z
  .object({
    PORT: int('PORT', 0, 65535).default(3000),
    HOST: z.string().trim().min(1, 'HOST must not be empty').default('0.0.0.0'),
    DATA_DIR: z.string().trim().min(1, 'DATA_DIR must not be empty').default('./data'),
    DATABASE_URL: url('DATABASE_URL', ['postgres:', 'postgresql:']).optional(),
    REDIS_URL: url('REDIS_URL', ['redis:', 'rediss:']).optional(),
    // HS256 keys shorter than the hash (32 bytes) are guessable offline from any one token (RFC 7518 3.2).
    JWT_SECRET: z
      .string()
      .refine(
        (v) => Buffer.byteLength(v, 'utf8') >= 32,
        'JWT_SECRET must be at least 32 bytes (e.g. openssl rand -base64 48)',
      )
      .optional(),
    JWT_EXPIRES_IN: z
      .string()
      .trim()
      .regex(DURATION, 'JWT_EXPIRES_IN must be a duration such as 3600, 60m, 12h or 7d')
      .transform((v) => {
        const [, n, unit] = DURATION.exec(v) as RegExpExecArray;
        return Number(n) * UNIT_SECONDS[(unit ?? 's') as keyof typeof UNIT_SECONDS];
      })
      .pipe(z.number().min(60, 'JWT_EXPIRES_IN must be at least 60 seconds'))
      .default(7 * 86400),
    JWT_REQUIRE_EXP: bool('JWT_REQUIRE_EXP', true),
    JWT_CLOCK_TOLERANCE: int('JWT_CLOCK_TOLERANCE', 0, 300).default(30),
    JWT_ISSUER: z.string().trim().min(1).max(256, 'JWT_ISSUER is too long').optional(),
    JWT_AUDIENCE: z.string().trim().min(1).max(256, 'JWT_AUDIENCE is too long').optional(),
    JWT_ID_CLAIMS: z
      .string()
      .default('sub,userId,id,_id')
      .transform((v) => v.split(',').map((c) => c.trim()))
      .refine(
        (claims) => claims.every((c) => /^[^\s,]{1,256}$/.test(c)),
        'JWT_ID_CLAIMS must be a comma-separated list of claim names, such as sub,userId,id,_id',
      )
      .transform((claims) => [...new Set(claims)]),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
    MAX_MESSAGE_LENGTH: int('MAX_MESSAGE_LENGTH', 1, 1_000_000).default(5000),
    TYPING_TIMEOUT_MS: int('TYPING_TIMEOUT_MS', 100, 600_000).default(5000),
    CORS_ORIGIN: z.string().trim().min(1, 'CORS_ORIGIN must not be empty').default('*'),
    DATABASE_POOL_MAX: int('DATABASE_POOL_MAX', 1, 1000).default(10),
    BODY_LIMIT_BYTES: int('BODY_LIMIT_BYTES', 1024, 100 * 1024 * 1024).default(1024 * 1024),
    SOCKET_MAX_PAYLOAD_BYTES: int('SOCKET_MAX_PAYLOAD_BYTES', 1024, 100 * 1024 * 1024).default(1_000_000),
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_.-]{1,64}$/, 'REDIS_PREFIX must be 1-64 letters, digits or :_.-')
      .default('parley:'),
    PRESENCE_TTL_MS: int('PRESENCE_TTL_MS', 1000, 3_600_000).default(30_000),
    PRESENCE_SCOPE: z
      .enum(['all', 'contacts'], { error: 'PRESENCE_SCOPE must be all or contacts' })
      .default('all'),
    ONLINE_USERS_EMAIL: bool('ONLINE_USERS_EMAIL', true),
    RATE_LIMITS: bool('RATE_LIMITS', true),
    RATE_LIMIT_SEND: rate('RATE_LIMIT_SEND', '300/60s'),
    RATE_LIMIT_SEND_BURST: rate('RATE_LIMIT_SEND_BURST', '10/1s'),
    RATE_LIMIT_TYPING: rate('RATE_LIMIT_TYPING', '300/60s'),
    RATE_LIMIT_TYPING_BURST: rate('RATE_LIMIT_TYPING_BURST', '20/1s'),
    RATE_LIMIT_READ: rate('RATE_LIMIT_READ', '1200/60s'),
    RATE_LIMIT_READ_BURST: rate('RATE_LIMIT_READ_BURST', '50/1s'),
    RATE_LIMIT_LOGIN_ACCOUNT: rate('RATE_LIMIT_LOGIN_ACCOUNT', '10/15m'),
    RATE_LIMIT_LOGIN_ACCOUNT_ALL_IPS: rate('RATE_LIMIT_LOGIN_ACCOUNT_ALL_IPS', '50/60m'),
    RATE_LIMIT_LOGIN_IP: rate('RATE_LIMIT_LOGIN_IP', '100/60m'),
    RATE_LIMIT_REGISTER_IP: rate('RATE_LIMIT_REGISTER_IP', '100/60m'),
    RATE_LIMIT_REGISTER: rate('RATE_LIMIT_REGISTER', '1000/60m'),
    REGISTRATION_ROLES: z
      .string()
      .trim()
      .regex(
        /^(\*|[A-Za-z0-9_.-]{1,50}(\s*,\s*[A-Za-z0-9_.-]{1,50})*)$/,
        'REGISTRATION_ROLES must be * or a comma-separated list of roles',
      )
      .default('customer')
      .transform((v) => Object.freeze(v.split(',').map((r) => r.trim()))),
    MAX_PENDING_PASSWORD_HASHES: int('MAX_PENDING_PASSWORD_HASHES', 1, 10_000).default(16),
    RATE_LIMIT_QUERY: rate('RATE_LIMIT_QUERY', '600/60s'),
    RATE_LIMIT_HANDSHAKE_FAILURES: rate('RATE_LIMIT_HANDSHAKE_FAILURES', '100/60s'),
    MAX_CONNECTIONS_PER_IP: z
      .string()
      .trim()
      .transform((v) => (v === 'off' ? '0' : v))
      .pipe(int('MAX_CONNECTIONS_PER_IP', 0, 10_000_000))
      .default(1000),
    SOCKET_MAX_INFLIGHT: int('SOCKET_MAX_INFLIGHT', 1, 100_000).default(500),
    HTTP_REQUEST_TIMEOUT_MS: int('HTTP_REQUEST_TIMEOUT_MS', 1000, 3_600_000).default(30_000),
    // Above Socket.IO's 25 s long-polling hold, so an idle polling client is never cut off.
    HTTP_CONNECTION_TIMEOUT_MS: int('HTTP_CONNECTION_TIMEOUT_MS', 30_000, 3_600_000).default(60_000),
    RATE_LIMIT_ADMIN_UI: rate('RATE_LIMIT_ADMIN_UI', '10/15m'),
    TRUST_PROXY: trustProxy,
    ADMIN_UI_USERNAME: z.string().trim().min(1).max(64, 'ADMIN_UI_USERNAME is too long').optional(),
    ADMIN_UI_PASSWORD_HASH: z
      .string()
      .trim()
      .regex(
        /^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/,
        'ADMIN_UI_PASSWORD_HASH must be a bcrypt hash ($2b$12$…)',
      )
      .optional(),
    ADMIN_UI_ORIGIN: url('ADMIN_UI_ORIGIN', ['https:', 'http:']).default('https://admin.socket.io'),
    METRICS_TOKEN: z.string().trim().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
    MAX_SOCKETS_PER_USER: int('MAX_SOCKETS_PER_USER', 1, 100_000).default(50),
    SESSION_RECHECK_MS: int('SESSION_RECHECK_MS', 100, 3_600_000).default(5000),
    REDIS_ADAPTER: z
      .enum(['sharded', 'classic'], { error: 'REDIS_ADAPTER must be sharded or classic' })
      .default('sharded'),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.ADMIN_UI_USERNAME) !== Boolean(env.ADMIN_UI_PASSWORD_HASH)) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_UI_USERNAME'],
        message:
          'ADMIN_UI_USERNAME and ADMIN_UI_PASSWORD_HASH go together (both set enables the Socket.IO admin UI)',
      });
    }
    if ((env.DATABASE_URL || env.REDIS_URL) && !env.JWT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'JWT_SECRET is required when DATABASE_URL or REDIS_URL is set (every process must share it)',
      });
    }
  });

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
  /** Failed Socket.IO handshakes (refused authentication) per client IP; past it, handshakes are refused. */
  handshakeFailure?: readonly Rate[];
  /** Admin UI password attempts per client IP (each one costs a bcrypt check); a success clears it. */
  adminUi?: readonly Rate[];
}

const windows = (...rates: Array<Rate | undefined>): readonly Rate[] =>
  Object.freeze(rates.filter((r): r is Rate => r !== undefined));

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Empty strings count as unset, as with most tools that read the environment. */
const present = (env: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));

export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const result = schema.safeParse(present(env));
  if (!result.success) {
    const problems = result.error.issues.map((i) => i.message);
    throw new ConfigError(`Invalid configuration: ${[...new Set(problems)].join('; ')}`);
  }
  const e = result.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    dataDir: e.DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    jwtSecret: e.JWT_SECRET,
    jwtTtlSeconds: e.JWT_EXPIRES_IN,
    jwtRequireExp: e.JWT_REQUIRE_EXP,
    jwtClockToleranceSeconds: e.JWT_CLOCK_TOLERANCE,
    rateLimits: Object.freeze(
      e.RATE_LIMITS
        ? {
            send: windows(e.RATE_LIMIT_SEND, e.RATE_LIMIT_SEND_BURST),
            typing: windows(e.RATE_LIMIT_TYPING, e.RATE_LIMIT_TYPING_BURST),
            read: windows(e.RATE_LIMIT_READ, e.RATE_LIMIT_READ_BURST),
            loginAccount: windows(e.RATE_LIMIT_LOGIN_ACCOUNT),
            loginAccountAllIps: windows(e.RATE_LIMIT_LOGIN_ACCOUNT_ALL_IPS),
            loginIp: windows(e.RATE_LIMIT_LOGIN_IP),
            registerIp: windows(e.RATE_LIMIT_REGISTER_IP),
            register: windows(e.RATE_LIMIT_REGISTER),
            query: windows(e.RATE_LIMIT_QUERY),
            handshakeFailure: windows(e.RATE_LIMIT_HANDSHAKE_FAILURES),
            adminUi: windows(e.RATE_LIMIT_ADMIN_UI),
          }
        : {},
    ),
    maxSocketsPerUser: e.MAX_SOCKETS_PER_USER,
    maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP || undefined,
    socketMaxInflight: e.SOCKET_MAX_INFLIGHT,
    httpRequestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    httpConnectionTimeoutMs: e.HTTP_CONNECTION_TIMEOUT_MS,
    sessionRecheckMs: e.SESSION_RECHECK_MS,
    trustProxy: e.TRUST_PROXY,
    maxPendingPasswordHashes: e.MAX_PENDING_PASSWORD_HASHES,
    registrationRoles: e.REGISTRATION_ROLES,
    metricsToken: e.METRICS_TOKEN,
    adminUi:
      e.ADMIN_UI_USERNAME && e.ADMIN_UI_PASSWORD_HASH
        ? Object.freeze({
            username: e.ADMIN_UI_USERNAME,
            passwordHash: e.ADMIN_UI_PASSWORD_HASH,
            origin: e.ADMIN_UI_ORIGIN,
          })
        : undefined,
    jwtIssuer: e.JWT_ISSUER,
    jwtAudience: e.JWT_AUDIENCE,
    jwtIdClaims: Object.freeze(e.JWT_ID_CLAIMS),
    logLevel: e.LOG_LEVEL,
    maxMessageLength: e.MAX_MESSAGE_LENGTH,
    databasePoolMax: e.DATABASE_POOL_MAX,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    socketMaxPayloadBytes: e.SOCKET_MAX_PAYLOAD_BYTES,
    redisPrefix: e.REDIS_PREFIX,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    redisAdapter: e.REDIS_ADAPTER,
    presenceScope: e.PRESENCE_SCOPE,
    onlineUsersEmail: e.ONLINE_USERS_EMAIL,
    typingTimeoutMs: e.TYPING_TIMEOUT_MS,
    corsOrigins:
      e.CORS_ORIGIN === '*'
        ? '*'
        : e.CORS_ORIGIN.split(',')
            .map((o) => o.trim())
            .filter(Boolean),
  });
}
