import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { io } from 'socket.io-client';
import { loadConfig } from '../../src/config.js';
import { registerUser } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient } from '../support/socket.js';

/** Connects to the admin namespace; resolves 'connected' or the connect_error message. */
const adminLogin = (url: string, auth: Record<string, string>) =>
  new Promise<string>((resolve) => {
    const socket = io(`${url}/admin`, {
      auth,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (err) => {
      socket.close();
      resolve(err.message);
    });
  });

describe('Socket.IO admin UI (optional)', () => {
  let server: TestServer;
  const password = 'admin-ui-password';

  before(async () => {
    server = await startServer({
      ADMIN_UI_USERNAME: 'ops',
      ADMIN_UI_PASSWORD_HASH: bcrypt.hashSync(password, 4),
    });
  });
  after(() => server?.close());

  it('lets the configured user into /admin, and nobody else', async () => {
    assert.equal(await adminLogin(server.url, { username: 'ops', password }), 'connected');
    assert.notEqual(await adminLogin(server.url, { username: 'ops', password: 'wrong' }), 'connected');
    assert.notEqual(await adminLogin(server.url, {}), 'connected');
  });

  it('allows the admin UI origin with credentials, and leaves the chat namespace as it was', async () => {
    const res = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, {
      headers: { origin: 'https://admin.socket.io' },
    });
    assert.equal(res.headers.get('access-control-allow-origin'), 'https://admin.socket.io');
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    const user = await registerUser(server.url);
    const client = await connectClient(server.url, user.token);
    client.close();
  });

  it('is off unless both settings are given, and refuses a password that is not a bcrypt hash', () => {
    assert.equal(loadConfig({}).adminUi, undefined);
    assert.throws(() => loadConfig({ ADMIN_UI_USERNAME: 'ops' }), /ADMIN_UI_PASSWORD_HASH go together/);
    assert.throws(
      () => loadConfig({ ADMIN_UI_USERNAME: 'ops', ADMIN_UI_PASSWORD_HASH: 'plain-text' }),
      /must be a bcrypt hash/,
    );
  });
});
