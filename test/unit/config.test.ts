import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

/** The one-line message `loadConfig` throws for `env`. */
/** A secret long enough for JWT_SECRET (32 bytes or more). */
const SHARED = 'a-shared-secret-0123456789abcdefghij';

const problem = (env: Record<string, string | undefined>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    const { message } = err;
    assert.match(message, /^Invalid configuration: \S/);
    assert.equal(message.includes('\n'), false, `expected one line, got ${JSON.stringify(message)}`);
    return message;
  }
  assert.fail(`expected loadConfig(${JSON.stringify(env)}) to throw`);
};

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    assert.deepEqual(
      { ...config },
      {
        port: 3000,
        host: '0.0.0.0',
        dataDir: './data',
        databaseUrl: undefined,
        redisUrl: undefined,
        jwtSecret: undefined,
        jwtTtlSeconds: 7 * 86400,
        jwtIssuer: undefined,
        jwtAudience: undefined,
        jwtIdClaims: ['sub', 'userId', 'id', '_id'],
        logLevel: 'info',
        maxMessageLength: 5000,
        maxGroupMembers: 1000,
        typingTimeoutMs: 5000,
        corsOrigins: '*',
        databasePoolMax: 10,
        bodyLimitBytes: 1048576,
        socketMaxPayloadBytes: 1000000,
        redisPrefix: 'parley:',
        presenceTtlMs: 30_000,
        redisAdapter: 'sharded',
        presenceScope: 'all',
        onlineUsersEmail: true,
        jwtRequireExp: true,
        jwtClockToleranceSeconds: 30,
        rateLimits: {
          send: [
            { points: 300, durationSeconds: 60 },
            { points: 10, durationSeconds: 1 },
          ],
          typing: [
            { points: 300, durationSeconds: 60 },
            { points: 20, durationSeconds: 1 },
          ],
          read: [
            { points: 1200, durationSeconds: 60 },
            { points: 50, durationSeconds: 1 },
          ],
          loginAccount: [{ points: 10, durationSeconds: 900 }],
          loginAccountAllIps: [{ points: 50, durationSeconds: 3600 }],
          loginIp: [{ points: 100, durationSeconds: 3600 }],
          registerIp: [{ points: 300, durationSeconds: 3600 }],
          register: [{ points: 3000, durationSeconds: 3600 }],
          query: [{ points: 600, durationSeconds: 60 }],
          groupCreate: [{ points: 30, durationSeconds: 3600 }],
          membership: [{ points: 120, durationSeconds: 60 }],
          handshakeFailure: [{ points: 100, durationSeconds: 60 }],
          adminUi: [{ points: 10, durationSeconds: 900 }],
          adminUiAll: [{ points: 60, durationSeconds: 900 }],
        },
        maxSocketsPerUser: 50,
        maxConnectionsPerIp: 1000,
        socketMaxInflight: 500,
        httpRequestTimeoutMs: 30_000,
        httpConnectionTimeoutMs: 60_000,
        sessionRecheckMs: 5000,
        trustProxy: false,
        maxPendingPasswordHashes: 64,
        registrationRoles: ['customer'],
        metricsToken: undefined,
        adminUi: undefined,
      },
    );
  });

  it('reads rate limits as count/duration, each one or all of them turned off', () => {
    const config = loadConfig({
      RATE_LIMIT_SEND: '5 / 2s',
      RATE_LIMIT_TYPING: 'off',
      RATE_LIMIT_READ: '0',
      RATE_LIMIT_LOGIN_ACCOUNT: '3/1h',
      RATE_LIMIT_LOGIN_IP: '50/10m',
      RATE_LIMIT_QUERY: '20/1m',
      RATE_LIMIT_HANDSHAKE_FAILURES: 'off',
      RATE_LIMIT_ADMIN_UI: '4/5m',
    });
    assert.deepEqual(config.rateLimits.send, [
      { points: 5, durationSeconds: 2 },
      { points: 10, durationSeconds: 1 },
    ]);
    assert.deepEqual(config.rateLimits.typing, [{ points: 20, durationSeconds: 1 }]);
    assert.deepEqual(config.rateLimits.read, [{ points: 50, durationSeconds: 1 }]);
    assert.deepEqual(config.rateLimits.loginAccount, [{ points: 3, durationSeconds: 3600 }]);
    assert.deepEqual(config.rateLimits.loginIp, [{ points: 50, durationSeconds: 600 }]);
    assert.deepEqual(loadConfig({ RATE_LIMIT_SEND_BURST: 'off' }).rateLimits.send, [
      { points: 300, durationSeconds: 60 },
    ]);
    assert.deepEqual(config.rateLimits.query, [{ points: 20, durationSeconds: 60 }]);
    assert.deepEqual(config.rateLimits.handshakeFailure, []);
    assert.deepEqual(config.rateLimits.adminUi, [{ points: 4, durationSeconds: 300 }]);
    assert.deepEqual(loadConfig({ RATE_LIMITS: 'off', RATE_LIMIT_SEND: '1/1s' }).rateLimits, {});
    assert.match(problem({ RATE_LIMIT_SEND: 'fast' }), /RATE_LIMIT_SEND/);
    assert.match(problem({ RATE_LIMIT_TYPING: '0/10s' }), /RATE_LIMIT_TYPING/);
    assert.match(problem({ RATE_LIMITS: 'maybe' }), /RATE_LIMITS/);
    assert.match(problem({ JWT_REQUIRE_EXP: 'sometimes' }), /JWT_REQUIRE_EXP/);
    assert.match(problem({ MAX_SOCKETS_PER_USER: '0' }), /MAX_SOCKETS_PER_USER/);
    assert.equal(loadConfig({ SESSION_RECHECK_MS: '250' }).sessionRecheckMs, 250);
    assert.match(problem({ SESSION_RECHECK_MS: '10' }), /SESSION_RECHECK_MS must be an integer/);
    assert.equal(loadConfig({ JWT_REQUIRE_EXP: 'false' }).jwtRequireExp, false);
  });

  it('reads the connection and HTTP timeout settings, and names invalid ones', () => {
    const config = loadConfig({
      MAX_CONNECTIONS_PER_IP: '20',
      SOCKET_MAX_INFLIGHT: '8',
      HTTP_REQUEST_TIMEOUT_MS: '5000',
      HTTP_CONNECTION_TIMEOUT_MS: '90000',
    });
    assert.equal(config.maxConnectionsPerIp, 20);
    assert.equal(config.socketMaxInflight, 8);
    assert.equal(config.httpRequestTimeoutMs, 5000);
    assert.equal(config.httpConnectionTimeoutMs, 90_000);
    assert.equal(loadConfig({ MAX_CONNECTIONS_PER_IP: 'off' }).maxConnectionsPerIp, undefined);
    assert.equal(loadConfig({ MAX_CONNECTIONS_PER_IP: '0' }).maxConnectionsPerIp, undefined);
    assert.match(problem({ MAX_CONNECTIONS_PER_IP: 'many' }), /MAX_CONNECTIONS_PER_IP/);
    assert.match(problem({ SOCKET_MAX_INFLIGHT: '0' }), /SOCKET_MAX_INFLIGHT/);
    assert.match(problem({ HTTP_REQUEST_TIMEOUT_MS: '10' }), /HTTP_REQUEST_TIMEOUT_MS/);
    // Below Socket.IO's 25 s long-polling hold, idle polling clients would be cut off.
    assert.match(problem({ HTTP_CONNECTION_TIMEOUT_MS: '10000' }), /HTTP_CONNECTION_TIMEOUT_MS/);
    assert.match(problem({ RATE_LIMIT_QUERY: 'lots' }), /RATE_LIMIT_QUERY/);
  });

  it('reads every setting', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/parley',
      JWT_SECRET: 'shh-a-secret-of-at-least-32-bytes!',
      JWT_EXPIRES_IN: '12h',
      LOG_LEVEL: 'debug',
      MAX_MESSAGE_LENGTH: '200',
      TYPING_TIMEOUT_MS: '1500',
      CORS_ORIGIN: 'https://a.example, https://b.example',
      DATABASE_POOL_MAX: '25',
      REDIS_PREFIX: 'chat:eu1:',
      PRESENCE_TTL_MS: '45000',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.dataDir, '/var/lib/parley');
    assert.equal(config.jwtSecret, 'shh-a-secret-of-at-least-32-bytes!');
    assert.equal(config.jwtTtlSeconds, 12 * 3600);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.maxMessageLength, 200);
    assert.equal(config.typingTimeoutMs, 1500);
    assert.deepEqual(config.corsOrigins, ['https://a.example', 'https://b.example']);
    assert.equal(config.databasePoolMax, 25);
    assert.equal(config.redisPrefix, 'chat:eu1:');
    assert.equal(config.presenceTtlMs, 45000);
  });

  it('names invalid scale-out settings', () => {
    assert.throws(
      () => loadConfig({ DATABASE_POOL_MAX: '0', REDIS_PREFIX: 'has space', PRESENCE_TTL_MS: '10' }),
      (err: Error) =>
        /DATABASE_POOL_MAX/.test(err.message) &&
        /REDIS_PREFIX/.test(err.message) &&
        /PRESENCE_TTL_MS/.test(err.message) &&
        !err.message.includes('\n'),
    );
  });

  it('parses JWT_EXPIRES_IN as seconds, minutes, hours or days', () => {
    const ttl = (value: string) => loadConfig({ JWT_EXPIRES_IN: value }).jwtTtlSeconds;
    assert.equal(ttl('7d'), 604800);
    assert.equal(ttl('3600'), 3600);
    assert.equal(ttl('12h'), 43200);
    assert.equal(ttl('90m'), 5400);
    assert.equal(ttl('120s'), 120);
  });

  it('accepts PORT 0 (pick a free port) and redis/postgres URLs with a JWT_SECRET', () => {
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
    const config = loadConfig({
      REDIS_URL: 'redis://localhost:6379',
      DATABASE_URL: 'postgres://u:p@localhost/parley',
      JWT_SECRET: SHARED,
    });
    assert.equal(config.redisUrl, 'redis://localhost:6379');
    assert.equal(config.databaseUrl, 'postgres://u:p@localhost/parley');
  });

  it('names PORT when it is not a number or out of range', () => {
    assert.match(problem({ PORT: 'abc' }), /PORT/);
    assert.match(problem({ PORT: '70000' }), /PORT/);
    assert.match(problem({ PORT: '-1' }), /PORT/);
  });

  it('names LOG_LEVEL, MAX_MESSAGE_LENGTH, TYPING_TIMEOUT_MS and JWT_EXPIRES_IN when invalid', () => {
    assert.match(problem({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
    assert.match(problem({ MAX_MESSAGE_LENGTH: '0' }), /MAX_MESSAGE_LENGTH/);
    assert.match(problem({ MAX_MESSAGE_LENGTH: 'lots' }), /MAX_MESSAGE_LENGTH/);
    assert.match(problem({ TYPING_TIMEOUT_MS: '1.5' }), /TYPING_TIMEOUT_MS/);
    assert.match(problem({ JWT_EXPIRES_IN: 'forever' }), /JWT_EXPIRES_IN/);
    assert.match(problem({ JWT_EXPIRES_IN: '10s' }), /JWT_EXPIRES_IN/);
  });

  it('names REDIS_URL and DATABASE_URL when they are not redis or postgres URLs', () => {
    const redis = problem({ REDIS_URL: 'http://x', JWT_SECRET: SHARED });
    assert.match(redis, /REDIS_URL/);
    assert.doesNotMatch(redis, /JWT_SECRET/);
    assert.match(problem({ DATABASE_URL: 'mysql://x/db', JWT_SECRET: SHARED }), /DATABASE_URL/);
  });

  it('requires JWT_SECRET when REDIS_URL or DATABASE_URL is set', () => {
    assert.match(problem({ REDIS_URL: 'redis://localhost:6379' }), /JWT_SECRET/);
    assert.match(problem({ DATABASE_URL: 'postgres://localhost/parley' }), /JWT_SECRET/);
    assert.match(problem({ REDIS_URL: 'redis://localhost:6379', JWT_SECRET: '' }), /JWT_SECRET/);
  });

  it('refuses a JWT_SECRET shorter than 32 bytes, saying how long it must be', () => {
    for (const secret of ['x', 'shared', 'a'.repeat(31)]) {
      assert.match(problem({ JWT_SECRET: secret }), /JWT_SECRET must be at least 32 bytes/);
    }
    // Bytes, not characters: 11 three-byte characters are 33 bytes.
    assert.equal(loadConfig({ JWT_SECRET: '€'.repeat(11) }).jwtSecret, '€'.repeat(11));
    assert.equal(loadConfig({ JWT_SECRET: 'a'.repeat(32) }).jwtSecret, 'a'.repeat(32));
  });

  it('reads JWT_ID_CLAIMS as a comma-separated list of claim names, and names it when invalid', () => {
    assert.deepEqual(loadConfig({ JWT_ID_CLAIMS: 'sub' }).jwtIdClaims, ['sub']);
    assert.deepEqual(loadConfig({ JWT_ID_CLAIMS: ' uid , sub,uid ' }).jwtIdClaims, ['uid', 'sub']);
    assert.deepEqual(loadConfig({ JWT_ID_CLAIMS: 'https://example.com/user_id' }).jwtIdClaims, [
      'https://example.com/user_id',
    ]);
    for (const value of [',', 'sub,,id', 'user id', 'x'.repeat(257)])
      assert.match(problem({ JWT_ID_CLAIMS: value }), /JWT_ID_CLAIMS must be a comma-separated list/);
    assert.ok(Object.isFrozen(loadConfig({}).jwtIdClaims));
  });

  it('lists several problems together in one line', () => {
    const message = problem({ PORT: 'abc', LOG_LEVEL: 'loud', MAX_MESSAGE_LENGTH: '0' });
    assert.match(message, /PORT/);
    assert.match(message, /LOG_LEVEL/);
    assert.match(message, /MAX_MESSAGE_LENGTH/);
  });

  it('counts empty strings as unset', () => {
    const config = loadConfig({ PORT: '', HOST: '', DATA_DIR: '', LOG_LEVEL: '', JWT_SECRET: '' });
    assert.equal(config.port, 3000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.dataDir, './data');
    assert.equal(config.logLevel, 'info');
    assert.equal(config.jwtSecret, undefined);
  });

  it('ignores unrelated environment variables', () => {
    assert.equal(loadConfig({ PATH: '/bin', HOME: '/home/x', NODE_ENV: 'whatever' }).port, 3000);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    assert.equal(Object.isFrozen(config), true);
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.equal(config.port, 3000);
  });
});

describe('loadConfig: TRUST_PROXY and registration', () => {
  it('reads TRUST_PROXY as off, a hop count (true is one hop) or a list of proxy addresses', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, 1);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback,::1' }).trustProxy, [
      '10.0.0.0/8',
      '127.0.0.1',
      'loopback',
      '::1',
    ]);
    for (const bad of ['maybe', '10.0.0.0/33', '300.1.1.1', '10.0.0.1/8/2'])
      assert.match(problem({ TRUST_PROXY: bad }), /TRUST_PROXY must be false, a hop count/);
  });

  it('reads REGISTRATION_ROLES and MAX_PENDING_PASSWORD_HASHES', () => {
    assert.deepEqual(loadConfig({ REGISTRATION_ROLES: 'customer, agent' }).registrationRoles, [
      'customer',
      'agent',
    ]);
    assert.deepEqual(loadConfig({ REGISTRATION_ROLES: '*' }).registrationRoles, ['*']);
    assert.match(problem({ REGISTRATION_ROLES: 'a b' }), /REGISTRATION_ROLES/);
    assert.equal(loadConfig({ MAX_PENDING_PASSWORD_HASHES: '4' }).maxPendingPasswordHashes, 4);
    assert.match(problem({ MAX_PENDING_PASSWORD_HASHES: '0' }), /MAX_PENDING_PASSWORD_HASHES/);
  });
});
