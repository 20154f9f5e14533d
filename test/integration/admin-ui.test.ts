import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import { loadConfig } from '../../src/config.js';
import { adminLogin, recordUnhandledRejections } from '../support/admin-ui.js';
import { registerUser } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient } from '../support/socket.js';

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

describe('Socket.IO admin UI: hostile logins', () => {
  let server: TestServer;
  const password = 'admin-ui-password';
  // A realistic cost (about 0.25 s a check): what a flood of guesses would burn.
  const hash = bcrypt.hashSync(password, 12);
  const rejections = recordUnhandledRejections();

  before(async () => {
    server = await startServer({
      ADMIN_UI_USERNAME: 'ops',
      ADMIN_UI_PASSWORD_HASH: hash,
      RATE_LIMIT_ADMIN_UI: '3/60s',
    });
  });
  after(async () => {
    rejections.stop();
    await server?.close();
  });

  it('refuses credentials that are not strings with a clear error, and nothing goes unhandled', async () => {
    const hostile: Array<Record<string, unknown>> = [
      { username: 'ops', password: 12345 },
      { username: 'ops', password: { length: 1 } },
      { username: 'ops', password: null },
      { username: ['ops'], password },
      { username: 'ops', password: 'x'.repeat(10_000) },
      { sessionId: { $ne: '' }, username: 'ops', password: 7 },
    ];
    for (const auth of hostile) {
      assert.equal(await adminLogin(server.url, auth), 'invalid credentials', JSON.stringify(auth));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(rejections.seen, []);
    const user = await registerUser(server.url);
    (await connectClient(server.url, user.token)).close();
  });

  it('refuses the attempt past the limit at once, without checking the password', async () => {
    const timed = async (auth: Record<string, unknown>) => {
      const started = performance.now();
      const outcome = await adminLogin(server.url, auth);
      return { outcome, ms: performance.now() - started };
    };
    const checked: number[] = [];
    for (let i = 0; i < 3; i++) {
      const attempt = await timed({ username: 'ops', password: `guess-${i}` });
      assert.equal(attempt.outcome, 'invalid credentials');
      checked.push(attempt.ms);
    }
    const refused = await timed({ username: 'ops', password: 'guess-3' });
    assert.match(refused.outcome, /^Too many admin UI login attempts: try again in \d+ s$/);
    assert.ok(
      refused.ms < Math.min(...checked) / 2,
      `refused in ${refused.ms.toFixed(0)} ms; a password check took ${Math.min(...checked).toFixed(0)} ms`,
    );
    // Even the right password waits for the window to end.
    assert.match(await adminLogin(server.url, { username: 'ops', password }), /^Too many admin UI/);
    assert.deepEqual(rejections.seen, []);
  });
});
