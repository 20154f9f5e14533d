import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT } from 'jose';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, TEST_SECRET, type TestServer } from '../support/server.js';
import { TestClient, connectClient } from '../support/socket.js';

const key = new TextEncoder().encode(TEST_SECRET);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const token = (claims: Record<string, unknown>, exp?: number | string) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  if (exp !== undefined) jwt.setExpirationTime(exp);
  return jwt.sign(key);
};

const refusal = async (url: string, auth: unknown): Promise<string> => {
  const client = new TestClient(url, { auth: { token: auth } });
  try {
    await client.connected();
  } catch (err) {
    return (err as Error).message;
  } finally {
    client.close();
  }
  return assert.fail('the connection should have been refused');
};

const me = (url: string, bearer: string) => http(url, 'GET', '/api/auth/me', { token: bearer });

describe('token lifetime (exp required, no clock tolerance)', () => {
  let server: TestServer;
  let alice: Registered;

  before(async () => {
    server = await startServer({ JWT_CLOCK_TOLERANCE: '0' });
    alice = await registerUser(server.url);
  });
  after(() => server?.close());

  it('refuses a token without exp on sockets and REST', async () => {
    const forever = await token({ sub: alice.user._id });
    assert.equal(await refusal(server.url, forever), 'Authentication error: Invalid token');
    const res = await me(server.url, forever);
    assert.equal(res.status, 401);
    assert.equal(res.body.message, 'Authentication error: Invalid token');
  });

  it('refuses alg none and a token whose signature was tampered with', async () => {
    const none = new UnsecuredJWT({ sub: alice.user._id }).setExpirationTime('1h').encode();
    const [head, , signature] = alice.token.split('.');
    const body = Buffer.from(JSON.stringify({ sub: '1', exp: nowSeconds() + 3600 })).toString('base64url');
    for (const bad of [none, `${head}.${body}.${signature}`]) {
      assert.equal(await refusal(server.url, bad), 'Authentication error: Invalid token');
      assert.equal((await me(server.url, bad)).status, 401);
    }
  });

  it('tells a socket its token expired and disconnects it, without reconnecting it', async () => {
    const shortLived = await token({ sub: alice.user._id }, nowSeconds() + 2);
    const client = await connectClient(server.url, shortLived, { reconnection: true });
    try {
      const reason = new Promise<string>((resolve) => client.socket.once('disconnect', resolve));
      const error = await client.next<{ message: string }>('error', () => true, 5000);
      assert.deepEqual(error, { message: 'Authentication error: Token expired' });
      assert.equal(await reason, 'io server disconnect');
      assert.equal(client.socket.connected, false);
      // Reconnecting with the same (now expired) token is refused.
      assert.equal(await refusal(server.url, shortLived), 'Authentication error: Invalid token');
      assert.equal((await me(server.url, shortLived)).status, 401);
    } finally {
      client.close();
    }
  });

  it("refuses a deleted user's token at once, though the user was just seen", async () => {
    const bob = await registerUser(server.url);
    const socket = await connectClient(server.url, bob.token);
    socket.close();
    assert.equal((await me(server.url, bob.token)).status, 200);
    await server.sql('DELETE FROM users WHERE id = ?', [Number(bob.user._id)]);
    assert.equal(await refusal(server.url, bob.token), 'Authentication error: User not found');
    const res = await me(server.url, bob.token);
    assert.equal(res.status, 401);
    assert.equal(res.body.message, 'Authentication error: User not found');
  });
});

describe('JWT_REQUIRE_EXP=false', () => {
  let server: TestServer;
  after(() => server?.close());

  it('accepts tokens without exp from another system, and keeps their sockets', async () => {
    server = await startServer({ JWT_REQUIRE_EXP: 'false' });
    const carol = await registerUser(server.url);
    const forever = await token({ userId: Number(carol.user._id) });
    const client = await connectClient(server.url, forever);
    try {
      assert.equal((await me(server.url, forever)).status, 200);
      assert.equal(client.socket.connected, true);
    } finally {
      client.close();
    }
  });
});
