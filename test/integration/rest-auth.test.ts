import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient } from '../support/socket.js';

const USER_ID = /^[1-9]\d*$/;
const USER_KEYS = ['_id', 'email', 'lastSeen', 'name', 'role', 'username'];

let seq = 0;
/** A valid registration body with a fresh username and email. */
const fresh = (overrides: Record<string, unknown> = {}) => {
  seq += 1;
  const tag = `${process.pid}x${seq}${Math.random().toString(36).slice(2, 6)}`;
  return {
    name: `Auth ${tag}`,
    username: `auth_${tag}`,
    email: `auth_${tag}@example.test`,
    password: 'a long enough password',
    ...overrides,
  };
};

/** Fails when a body carries a password field, the plaintext password, or an argon2 hash. */
const assertNoSecrets = (body: unknown, password: string) => {
  const text = JSON.stringify(body);
  assert.doesNotMatch(text, /"password(Hash)?"/i, `password field leaked: ${text}`);
  assert.doesNotMatch(text, /\$argon2/, `password hash leaked: ${text}`);
  assert.equal(text.includes(password), false, `plaintext password leaked: ${text}`);
};

describe('REST authentication', () => {
  let server: TestServer;
  let alice: Registered;

  before(async () => {
    server = await startServer({ REGISTRATION_ROLES: 'customer,agent' });
    alice = await registerUser(server.url, { name: 'Alice Auth' });
  });
  after(() => server.close());

  const register = (body: unknown) => http(server.url, 'POST', '/api/auth/register', { body });
  const login = (body: unknown) => http(server.url, 'POST', '/api/auth/login', { body });

  it('registers with 201 {token, user} and the default role "customer"', async () => {
    const body = fresh({ email: 'Mixed.Case.Reg@Example.TEST', username: `Reg_${process.pid}` });
    const res = await register(body);
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.body).sort(), ['token', 'user']);
    assert.equal(typeof res.body.token, 'string');
    assert.ok(res.body.token.split('.').length === 3, 'token is a JWT');
    assert.deepEqual(Object.keys(res.body.user).sort(), USER_KEYS);
    const { _id, ...rest } = res.body.user;
    assert.match(_id, USER_ID);
    assert.deepEqual(rest, {
      name: body.name,
      username: body.username,
      email: 'mixed.case.reg@example.test',
      role: 'customer',
      lastSeen: null,
    });
    assertNoSecrets(res.body, body.password);
  });

  it('ignores a role the deployment does not let users choose: they register as customers', async () => {
    for (const role of ['admin', 'support']) {
      const res = await register(fresh({ role }));
      assert.equal(res.status, 201);
      assert.equal(res.body.user.role, 'customer');
    }
  });

  it('keeps a given role that REGISTRATION_ROLES lists', async () => {
    const body = fresh({ role: 'agent' });
    const res = await register(body);
    assert.equal(res.status, 201);
    assert.equal(res.body.user.role, 'agent');
    const me = await http(server.url, 'GET', '/api/auth/me', { token: res.body.token });
    assert.equal(me.body.user.role, 'agent');
    const back = await login({ username: body.username, password: body.password });
    assert.equal(back.body.user.role, 'agent');
  });

  it('never returns the password or its hash (register, login, me, users, users/:id)', async () => {
    const body = fresh();
    const reg = await register(body);
    assert.equal(reg.status, 201);
    const token = reg.body.token;
    const answers = [
      reg,
      await login({ email: body.email, password: body.password }),
      await login({ username: body.username, password: body.password }),
      await http(server.url, 'GET', '/api/auth/me', { token }),
      await http(server.url, 'GET', '/api/users', { token: alice.token }),
      await http(server.url, 'GET', `/api/users?q=${body.username}`, { token: alice.token }),
      await http(server.url, 'GET', `/api/users/${reg.body.user._id}`, { token: alice.token }),
    ];
    for (const res of answers) {
      assert.equal(res.status < 300, true, `unexpected ${res.status} ${JSON.stringify(res.body)}`);
      assertNoSecrets(res.body, body.password);
    }
    assert.ok(answers[5]?.body.users.some((u: { _id: string }) => u._id === reg.body.user._id));
  });

  it('answers 409 for a taken username, also differing only in case', async () => {
    for (const username of [alice.user.username, alice.user.username.toUpperCase()]) {
      const res = await register(fresh({ username }));
      assert.equal(res.status, 409);
      assert.deepEqual(res.body, { message: 'Username already taken' });
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    }
  });

  it('answers 409 for a taken email, also in another case', async () => {
    for (const email of [alice.user.email, alice.user.email.toUpperCase()]) {
      const res = await register(fresh({ email }));
      assert.equal(res.status, 409);
      assert.deepEqual(res.body, { message: 'Email already registered' });
    }
  });

  it('answers 400 with a message naming the problem for each kind of invalid body', async () => {
    const { name, username, email, password } = fresh();
    const cases: Array<[unknown, RegExp]> = [
      [{ username, email, password }, /^name is required$/],
      [{ name, email, password }, /^username is required$/],
      [{ name, username, password }, /^email is required$/],
      [{ name, username, email }, /^password is required$/],
      [{ name: 42, username, email, password }, /^name must be a string$/],
      [{ name, username: ['x'], email, password }, /^username must be a string$/],
      [{ name, username, email: true, password }, /^email must be a string$/],
      [{ name, username, email, password: 12345678 }, /^password must be a string$/],
      [{ name, username, email, password, role: 7 }, /^role must be a string$/],
      [{ name: '   ', username, email, password }, /^name must not be empty$/],
      [{ name: 'n'.repeat(101), username, email, password }, /^name must be at most 100 characters$/],
      [{ name, username, email: 'not-an-email', password }, /^email must be a valid email address$/],
      [{ name, username, email: 'a@', password }, /^email must be a valid email address$/],
      [{ name, username, email, password: 'short' }, /^password must be at least 8 characters$/],
      [{ name, username, email, password: 'p'.repeat(257) }, /^password must be at most 256/],
      [{ name, username: 'ab', email, password }, /^username must be 3-50 characters/],
      [{ name, username: 'has space', email, password }, /^username must be 3-50 characters/],
      [{ name, username: 'u'.repeat(51), email, password }, /^username must be 3-50 characters/],
      ['null', /^request body must be an object$/],
      [[name, username, email, password], /^request body must be an object$/],
      ['"just a string"', /^request body must be an object$/],
      ['', /^request body must be an object$/],
      ['{"name": "x",', /^request body is not valid JSON$/],
      [`{"name":"x","__proto__":{"role":"admin"}}`, /must not contain __proto__/],
    ];
    for (const [body, message] of cases) {
      const res = await register(body);
      assert.equal(res.status, 400, `expected 400 for ${JSON.stringify(body)}, got ${res.status}`);
      assert.equal(typeof res.body?.message, 'string', `no JSON message for ${JSON.stringify(body)}`);
      assert.match(res.body.message, message, `for ${JSON.stringify(body)}`);
    }
    // No body at all (and no content type).
    const empty = await http(server.url, 'POST', '/api/auth/register');
    assert.equal(empty.status, 400);
    assert.equal(empty.body.message, 'request body must be an object');

    // Nothing was created by any of those: the same username and email still register.
    const ok = await register({ name, username, email, password });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
  });

  it('creates nothing when a registration is refused for a taken email', async () => {
    const body = fresh({ email: alice.user.email });
    assert.equal((await register(body)).status, 409);
    const retry = await register({ ...body, email: `again_${body.email}` });
    assert.equal(retry.status, 201, JSON.stringify(retry.body));
    assert.equal(retry.body.user.username, body.username);
  });

  it('logs in by email and by username, in any case, with 200 {token, user}', async () => {
    const tries = [
      { email: alice.user.email },
      { email: alice.user.email.toUpperCase() },
      { username: alice.user.username },
      { username: alice.user.username.toUpperCase() },
    ];
    for (const who of tries) {
      const res = await login({ ...who, password: alice.password });
      assert.equal(res.status, 200, `${JSON.stringify(who)}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(Object.keys(res.body).sort(), ['token', 'user']);
      assert.deepEqual(res.body.user, alice.user);
      const me = await http(server.url, 'GET', '/api/auth/me', { token: res.body.token });
      assert.equal(me.status, 200);
      assert.equal(me.body.user._id, alice.user._id);
    }
  });

  it('refuses a wrong password or an unknown user with 401 "Invalid credentials"', async () => {
    const tries = [
      { email: alice.user.email, password: 'wrong password!' },
      { username: alice.user.username, password: `${alice.password}x` },
      { email: 'nobody-here@example.test', password: alice.password },
      { username: 'nobody_here', password: alice.password },
    ];
    for (const body of tries) {
      const res = await login(body);
      assert.equal(res.status, 401, JSON.stringify(body));
      assert.deepEqual(res.body, { message: 'Invalid credentials' });
    }
  });

  it('answers 400 for an invalid login body', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ password: alice.password }, /email or username is required/],
      [{ email: alice.user.email }, /^password is required$/],
      [{ email: 5, password: alice.password }, /^email must be a string$/],
      ['null', /^request body must be an object$/],
    ];
    for (const [body, message] of cases) {
      const res = await login(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, message);
    }
  });

  it('GET /api/auth/me answers {user} with the token, 401 without or with a bad one', async () => {
    const me = await http(server.url, 'GET', '/api/auth/me', { token: alice.token });
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, { user: alice.user });

    const none = await http(server.url, 'GET', '/api/auth/me');
    assert.equal(none.status, 401);
    assert.deepEqual(none.body, { message: 'Authentication error: No token provided' });

    for (const token of ['garbage', 'a.b.c', `${alice.token}x`]) {
      const bad = await http(server.url, 'GET', '/api/auth/me', { token });
      assert.equal(bad.status, 401, token);
      assert.deepEqual(bad.body, { message: 'Authentication error: Invalid token' });
    }
  });

  it('issues a login token that opens a socket connection', async () => {
    const res = await login({ username: alice.user.username, password: alice.password });
    assert.equal(res.status, 200);
    const client = await connectClient(server.url, res.body.token);
    try {
      assert.equal(client.socket.connected, true);
      const online = await client.next('online_users');
      assert.ok(Array.isArray(online));
    } finally {
      client.close();
    }
  });

  it('answers an unknown route with 404 JSON {message}', async () => {
    for (const [method, path] of [
      ['GET', '/api/nope'],
      ['POST', '/api/auth/nope'],
      ['DELETE', '/api/auth/me'],
    ] as const) {
      const res = await http(server.url, method, path, { token: alice.token });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(typeof res.body.message, 'string');
      assert.ok(res.body.message.length > 0);
    }
  });
});
