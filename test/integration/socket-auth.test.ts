import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { registerUser, type Registered } from '../support/http.js';
import { startServer, TEST_SECRET, type TestServer } from '../support/server.js';
import { TestClient, connectClient } from '../support/socket.js';

const sign = (claims: Record<string, unknown>, secret = TEST_SECRET) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));

const refused = async (url: string, options: ConstructorParameters<typeof TestClient>[1]) => {
  const client = new TestClient(url, options);
  try {
    await client.connected();
    assert.fail('connection should have been refused');
  } catch (err) {
    return (err as Error).message;
  } finally {
    client.close();
  }
};

describe('socket handshake authentication', () => {
  let server: TestServer;
  let alice: Registered;
  let bob: Registered;
  const aliceWire = () => ({ _id: alice.user._id, name: 'Alice Example', username: alice.user.username });

  before(async () => {
    server = await startServer();
    alice = await registerUser(server.url, { name: 'Alice Example' });
    bob = await registerUser(server.url, { name: 'Bob Example' });
  });
  after(() => server.close());

  it('accepts auth.token and sends `connection` with the user', async () => {
    const client = new TestClient(server.url, { auth: { token: alice.token } });
    const payload = await client.next('connection');
    assert.deepEqual(payload, {
      success: true,
      user: { _id: alice.user._id, name: 'Alice Example', username: alice.user.username },
    });
    client.close();
  });

  it('accepts a `Bearer ` prefix in auth.token', async () => {
    const client = await connectClient(server.url, `Bearer ${alice.token}`);
    assert.equal(client.socket.connected, true);
    assert.deepEqual(client.all('connection'), [{ success: true, user: aliceWire() }]);
    client.close();
  });

  it('accepts an Authorization header on the handshake (polling transport)', async () => {
    const client = new TestClient(server.url, {
      transports: ['polling'],
      extraHeaders: { Authorization: `Bearer ${alice.token}` },
    });
    await client.connected();
    assert.deepEqual(await client.next('connection'), { success: true, user: aliceWire() });
    client.close();
  });

  it('refuses a missing token with the spec message', async () => {
    assert.equal(await refused(server.url, {}), 'Authentication error: No token provided');
    assert.equal(
      await refused(server.url, { auth: { token: '' } }),
      'Authentication error: No token provided',
    );
  });

  it('refuses malformed, wrongly signed and expired tokens as invalid', async () => {
    const expired = await new SignJWT({ sub: alice.user._id })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(TEST_SECRET));
    for (const token of ['garbage', await sign({ sub: alice.user._id }, 'another-secret'), expired, 42]) {
      assert.equal(await refused(server.url, { auth: { token } }), 'Authentication error: Invalid token');
    }
  });

  it('refuses a valid token for an unknown user', async () => {
    const token = await sign({ sub: 'no-such-user' });
    assert.equal(await refused(server.url, { auth: { token } }), 'Authentication error: User not found');
  });

  it('accepts tokens from other systems that carry the id as userId, id or _id', async () => {
    for (const claim of ['userId', 'id', '_id']) {
      const client = await connectClient(server.url, await sign({ [claim]: alice.user._id }));
      assert.deepEqual(client.all('connection'), [{ success: true, user: aliceWire() }], claim);
      // The socket acts as that user: what it sends comes from Alice.
      const sent = await client.ack('send_message', { receiverId: bob.user._id, content: `via ${claim}` });
      assert.equal(sent.message.senderId, alice.user._id, claim);
      client.close();
    }
  });
});
