import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { TOO_MANY } from '../support/socket.js';

const statuses = (results: Array<{ status: number }>) =>
  results.reduce<Record<number, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});

/** Logins and registrations: counted before the expensive work, atomically, per IP and per account. */
describe('login and registration limits', () => {
  const servers: TestServer[] = [];
  const start = async (env: Record<string, string>) => {
    const server = await startServer(env);
    servers.push(server);
    return server;
  };
  after(async () => {
    for (const server of servers) await server.close();
  });
  const login = (server: TestServer, body: unknown, headers: Record<string, string> = {}) =>
    http(server.url, 'POST', '/api/auth/login', { body, headers });
  const register = (
    server: TestServer,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
  ) => http(server.url, 'POST', '/api/auth/register', { body, headers });
  let seq = 0;
  const newAccount = (over: Record<string, unknown> = {}) => {
    seq += 1;
    const tag = `${process.pid}x${seq}x${Math.random().toString(36).slice(2, 6)}`;
    return {
      name: `Limit ${tag}`,
      username: `lim_${tag}`,
      email: `lim_${tag}@example.test`,
      password: 'pass-word-1',
      ...over,
    };
  };

  describe('one account, concurrent attempts', () => {
    let server: TestServer;
    before(async () => {
      server = await start({ RATE_LIMIT_LOGIN_ACCOUNT: '3/60s', RATE_LIMIT_LOGIN_IP: '1000/60s' });
    });

    it('lets no more attempts through than the limit, however many arrive at once', async () => {
      const target = await registerUser(server.url);
      const attempts = await Promise.all(
        Array.from({ length: 30 }, () => login(server, { email: target.user.email, password: 'wrong one!' })),
      );
      assert.deepEqual(statuses(attempts), { 401: 3, 429: 27 });
      for (const refused of attempts.filter((a) => a.status === 429))
        assert.match(refused.body.message, TOO_MANY('failed login attempts'));
      // Blocked even with the right password until the window ends.
      assert.equal(
        (await login(server, { email: target.user.email, password: target.password })).status,
        429,
      );
    });

    it('gives the point back on success: logins that succeed never add up', async () => {
      const ok = await registerUser(server.url);
      for (let i = 0; i < 8; i++) {
        const res = await login(server, { username: ok.user.username, password: ok.password });
        assert.equal(res.status, 200, `login ${i + 1}`);
      }
    });
  });

  describe('behind a proxy (TRUST_PROXY=true: one hop)', () => {
    let server: TestServer;
    before(async () => {
      server = await start({
        TRUST_PROXY: 'true',
        RATE_LIMIT_LOGIN_IP: '3/60s',
        RATE_LIMIT_LOGIN_ACCOUNT_ALL_IPS: '4/60s',
        RATE_LIMIT_REGISTER_IP: '3/60s',
      });
    });

    it('a client rotating its own X-Forwarded-For entries gets no fresh buckets', async () => {
      const results = [];
      for (let i = 0; i < 6; i++) {
        // The proxy appends the address it saw (203.0.113.7); what the client wrote before it is ignored.
        const headers = { 'x-forwarded-for': `198.51.100.${i}, 203.0.113.7` };
        results.push(
          await login(server, { username: `nobody_${i}_${seq}`, password: 'wrong one!' }, headers),
        );
      }
      assert.deepEqual(
        results.map((r) => r.status),
        [401, 401, 401, 429, 429, 429],
      );
      // Another client behind the same proxy has its own bucket.
      const other = await login(
        server,
        { username: 'nobody_else', password: 'x' },
        { 'x-forwarded-for': '203.0.113.8' },
      );
      assert.equal(other.status, 401);
    });

    it('limits failures per account across all IPs', async () => {
      const victim = await registerUser(server.url, {});
      const from = (i: number) => ({ 'x-forwarded-for': `192.0.2.${i + 10}` });
      for (let i = 0; i < 4; i++) {
        const res = await login(server, { email: victim.user.email, password: 'guess!!!' }, from(i));
        assert.equal(res.status, 401, `attempt ${i + 1}`);
      }
      const fifth = await login(server, { email: victim.user.email, password: 'guess!!!' }, from(9));
      assert.equal(fifth.status, 429);
      assert.match(fifth.body.message, TOO_MANY('failed login attempts'));
    });

    it('limits registrations per client IP', async () => {
      const fromA = { 'x-forwarded-for': '198.51.100.200' };
      for (let i = 0; i < 3; i++) assert.equal((await register(server, newAccount(), fromA)).status, 201);
      const refused = await register(server, newAccount(), fromA);
      assert.equal(refused.status, 429);
      assert.match(refused.body.message, TOO_MANY('registrations'));
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      assert.equal(
        (await register(server, newAccount(), { 'x-forwarded-for': '198.51.100.201' })).status,
        201,
      );
    });
  });

  describe('registration across all clients', () => {
    it('limits registrations globally, whatever the IP', async () => {
      const server = await start({ TRUST_PROXY: '1', RATE_LIMIT_REGISTER: '4/60s' });
      for (let i = 0; i < 4; i++) {
        const res = await register(server, newAccount(), { 'x-forwarded-for': `198.51.100.${i}` });
        assert.equal(res.status, 201);
      }
      const refused = await register(server, newAccount(), { 'x-forwarded-for': '198.51.100.99' });
      assert.equal(refused.status, 429);
      assert.match(refused.body.message, TOO_MANY('registrations'));
    });
  });

  describe('argon2 work in flight (MAX_PENDING_PASSWORD_HASHES=1)', () => {
    let server: TestServer;
    before(async () => {
      server = await start({ MAX_PENDING_PASSWORD_HASHES: '1', RATE_LIMIT_LOGIN_IP: 'off' });
    });

    it('refuses logins past the cap at once with 429 instead of queueing them', async () => {
      const attempts = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          login(server, { username: `ghost_${i}`, password: 'wrong one!' }),
        ),
      );
      const counts = statuses(attempts);
      assert.ok((counts[401] ?? 0) >= 1, JSON.stringify(counts));
      assert.ok((counts[429] ?? 0) >= 1, JSON.stringify(counts));
      assert.equal((counts[401] ?? 0) + (counts[429] ?? 0), 12, JSON.stringify(counts));
      for (const refused of attempts.filter((a) => a.status === 429)) {
        assert.match(refused.body.message, TOO_MANY('sign-ins in progress'));
        assert.equal(refused.headers.get('retry-after'), '1');
      }
    });

    it('answers a taken username or email before hashing: a flood of them never meets the cap', async () => {
      const taken = await registerUser(server.url);
      const attempts = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          register(
            server,
            newAccount(i % 2 ? { username: taken.user.username } : { email: taken.user.email }),
          ),
        ),
      );
      assert.deepEqual(statuses(attempts), { 409: 12 });
    });
  });
});
