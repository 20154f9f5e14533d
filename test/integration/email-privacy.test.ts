import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { connectClient } from '../support/socket.js';

/** A user's email goes to that user alone in REST answers; search never matches addresses. */
describe('email privacy', () => {
  let server: TestServer;
  let viewer: Registered;
  let other: Registered;

  before(async () => {
    server = await startServer();
    viewer = await registerUser(server.url, { name: 'Privacy Viewer' });
    other = await registerUser(server.url, { name: 'Privacy Other' });
  });
  after(() => server.close());

  it('the directory and one-user answers carry no email', async () => {
    const list = await http(server.url, 'GET', '/api/users?limit=100', { token: viewer.token });
    assert.equal(list.status, 200);
    const listed = list.body.users.find((u: { _id: string }) => u._id === other.user._id);
    assert.ok(listed, 'the other user is listed');
    for (const u of list.body.users) assert.ok(!('email' in u), `no email in ${JSON.stringify(u)}`);
    assert.ok(!JSON.stringify(list.body).includes('@example.test'));

    const one = await http(server.url, 'GET', `/api/users/${other.user._id}`, { token: viewer.token });
    assert.equal(one.status, 200);
    assert.deepEqual(Object.keys(one.body.user).sort(), ['_id', 'lastSeen', 'name', 'role', 'username']);
  });

  it('its owner sees their email at register, login and /api/auth/me', async () => {
    const fresh = await registerUser(server.url, { name: 'Privacy Owner' });
    assert.match(fresh.user.email, /@example\.test$/);
    const login = await http(server.url, 'POST', '/api/auth/login', {
      body: { username: fresh.user.username, password: fresh.password },
    });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.email, fresh.user.email);
    const me = await http(server.url, 'GET', '/api/auth/me', { token: fresh.token });
    assert.equal(me.body.user.email, fresh.user.email);
  });

  it('an email address, whole or in part, finds nobody', async () => {
    for (const q of [other.user.email, other.user.email.split('@')[0] as string, '@example.test']) {
      const res = await http(server.url, 'GET', `/api/users?q=${encodeURIComponent(q)}`, {
        token: viewer.token,
      });
      assert.equal(res.status, 200);
      // A username may contain the local part; what must not happen is a match through the address.
      for (const u of res.body.users) assert.ok(u.username.toLowerCase().includes(q.toLowerCase()));
    }
  });
});

describe('online_users and ONLINE_USERS_EMAIL', () => {
  for (const [setting, withEmail] of [
    [undefined, true],
    ['false', false],
  ] as const) {
    it(`${setting === undefined ? 'by default' : `with ONLINE_USERS_EMAIL=${setting}`} entries ${withEmail ? 'carry' : 'leave out'} email`, async () => {
      const server = await startServer(setting === undefined ? {} : { ONLINE_USERS_EMAIL: setting });
      const clients = [];
      try {
        const ada = await registerUser(server.url, { name: 'Online Ada' });
        const ben = await registerUser(server.url, { name: 'Online Ben' });
        clients.push(await connectClient(server.url, ada.token));
        const benClient = await connectClient(server.url, ben.token);
        clients.push(benClient);
        const online = await benClient.next<Array<Record<string, unknown>>>('online_users');
        const entry = online.find((u) => u.userId === ada.user._id);
        assert.ok(entry, 'Ada is listed');
        if (withEmail) assert.equal(entry.email, ada.user.email);
        else assert.ok(!('email' in entry), `no email in ${JSON.stringify(entry)}`);
      } finally {
        for (const c of clients) c.close();
        await server.close();
      }
    });
  }
});
