import { z } from 'zod';
import { DURATION, UNIT_SECONDS, bool, int, rate, trustProxy, url, type Rate } from './config-fields.js';

export type { Rate, TrustProxy } from './config-fields.js';
export type { Config, RateLimits } from './config-types.js';
import type { Config } from './config-types.js';

/**
 * Every setting Parley reads, validated once at start. `loadConfig` is the only reader of the
 * environment; the frozen result is passed down. Invalid settings throw `ConfigError` naming each one.
 *
 * @example const config = loadConfig(process.env);
 */

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
    RATE_LIMIT_REGISTER_IP: rate('RATE_LIMIT_REGISTER_IP', '300/60m'),
    RATE_LIMIT_REGISTER: rate('RATE_LIMIT_REGISTER', '3000/60m'),
    REGISTRATION_ROLES: z
      .string()
      .trim()
      .regex(
        /^(\*|[A-Za-z0-9_.-]{1,50}(\s*,\s*[A-Za-z0-9_.-]{1,50})*)$/,
        'REGISTRATION_ROLES must be * or a comma-separated list of roles',
      )
      .default('customer')
      .transform((v) => Object.freeze(v.split(',').map((r) => r.trim()))),
    MAX_PENDING_PASSWORD_HASHES: int('MAX_PENDING_PASSWORD_HASHES', 1, 10_000).default(64),
    RATE_LIMIT_QUERY: rate('RATE_LIMIT_QUERY', '600/60s'),
    RATE_LIMIT_GROUP_CREATE: rate('RATE_LIMIT_GROUP_CREATE', '30/60m'),
    RATE_LIMIT_MEMBERSHIP: rate('RATE_LIMIT_MEMBERSHIP', '120/60s'),
    MAX_GROUP_MEMBERS: int('MAX_GROUP_MEMBERS', 2, 100_000).default(1000),
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
    RATE_LIMIT_ADMIN_UI_ALL: rate('RATE_LIMIT_ADMIN_UI_ALL', '60/15m'),
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
            groupCreate: windows(e.RATE_LIMIT_GROUP_CREATE),
            membership: windows(e.RATE_LIMIT_MEMBERSHIP),
            handshakeFailure: windows(e.RATE_LIMIT_HANDSHAKE_FAILURES),
            adminUi: windows(e.RATE_LIMIT_ADMIN_UI),
            adminUiAll: windows(e.RATE_LIMIT_ADMIN_UI_ALL),
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
    maxGroupMembers: e.MAX_GROUP_MEMBERS,
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
