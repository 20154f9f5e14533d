import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import bcrypt from 'bcryptjs';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Parley } from '../../src/app.js';
import { attachParley } from '../../src/library.js';
import type { ExternalIdentity } from '../../src/services/ports.js';
import { adminLogin, recordUnhandledRejections } from '../support/admin-ui.js';
import { http } from '../support/http.js';
import { connectClient, TestClient } from '../support/socket.js';

/** The host application's own users and tokens: `token-<id>` names user `<id>`. */
const hostUsers = new Map([
  ['u-ada', { name: 'Ada Lovelace', username: 'ada', email: 'ada@host.example' }],
  ['u-ben', { name: 'Ben Franklin', username: 'ben' }],
]);
const identity: ExternalIdentity = {
  verifyToken: async (token) => (token.startsWith('token-') ? token.slice('token-'.length) : null),
  findUser: async (id) => hostUsers.get(id),
};

/** The host's token for one of its users, and the Parley user it becomes (via /api/auth/me). */
async function whoIs(url: string, token: string) {
  const me = await http(url, 'GET', '/api/auth/me', { token });
  assert.equal(me.status, 200, JSON.stringify(me.body));
  return me.body.user as { _id: string; name: string; username: string; email: string };
}

/** One conversation through Parley on a host: REST send, real-time delivery, history both ways. */
async function chatThrough(url: string) {
  const ada = await whoIs(url, 'token-u-ada');
  const ben = await whoIs(url, 'token-u-ben');
  assert.equal(ada.name, 'Ada Lovelace');
  assert.equal(ben.username, 'ben');
  const benSocket = await connectClient(url, 'token-u-ben');
  const adaSocket = await connectClient(url, 'Bearer token-u-ada');
  try {
    const sent = await adaSocket.socket.emitWithAck('send_message', {
      receiverId: ben._id,
      content: 'hi from the host',
    });
    assert.equal(sent.success, true);
    const received = await benSocket.next<{ content: string; senderName: string }>('receive_message');
    assert.deepEqual([received.content, received.senderName], ['hi from the host', 'Ada Lovelace']);
    const rest = await http(url, 'POST', '/api/messages', {
      token: 'token-u-ben',
      body: { receiverId: ada._id, content: 'and back over REST' },
    });
    assert.equal(rest.status, 201);
    await adaSocket.next('receive_message', (m: { content: string }) => m.content === 'and back over REST');
    const history = await http(url, 'GET', `/api/messages/${ben._id}`, { token: 'token-u-ada' });
    assert.deepEqual(
      history.body.messages.map((m: { content: string }) => m.content),
      ['hi from the host', 'and back over REST'],
    );
  } finally {
    adaSocket.close();
    benSocket.close();
  }
  // The host decides who is who: unknown tokens and unknown users are refused with the spec's messages.
  const refused = new TestClient(url, { auth: { token: 'not-a-host-token' } });
  await assert.rejects(refused.connected(), { message: 'Authentication error: Invalid token' });
  refused.close();
  const ghost = await http(url, 'GET', '/api/auth/me', { token: 'token-u-nobody' });
  assert.deepEqual([ghost.status, ghost.body.message], [401, 'Authentication error: User not found']);
  // The host owns accounts: Parley's registration and login are not there.
  const body = { name: 'X', username: 'xyz', email: 'x@example.test', password: 'long enough' };
  assert.equal((await http(url, 'POST', '/api/auth/register', { body })).status, 404);
  assert.equal((await http(url, 'POST', '/api/auth/login', { body })).status, 404);
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

describe('library mode: attached to an Express 5 app', () => {
  let server: Server;
  let parley: Parley;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-lib-'));
    const app = express();
    app.get('/api/app-status', (_req, res) => void res.json({ app: 'express' }));
    app.get('/', (_req, res) => void res.send('the host app'));
    server = createServer(app);
    parley = await attachParley(server, {
      env: { DATA_DIR: dataDir, JWT_SECRET: 'library-test-secret-0123456789abcdefghij', LOG_LEVEL: 'silent' },
      identity,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await parley?.close();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps the app's own routes and adds Parley's REST API and Socket.IO beside them", async () => {
    const url = urlOf(server);
    assert.deepEqual((await http(url, 'GET', '/api/app-status')).body, { app: 'express' });
    assert.equal(await (await fetch(`${url}/`)).text(), 'the host app');
    assert.deepEqual((await http(url, 'GET', '/healthz')).body, { status: 'ok' });
    await chatThrough(url);
  });

  it('has no listen of its own, and closing Parley leaves the host server up', async () => {
    assert.throws(() => parley.listen(), /host application listens/);
    const url = urlOf(server);
    const client = await connectClient(url, 'token-u-ada', { reconnection: false });
    const reason = new Promise((resolve) => client.socket.once('disconnect', resolve));
    await parley.close();
    assert.equal(await reason, 'transport close', 'sockets are told to reconnect elsewhere');
    assert.ok(server.listening);
    assert.deepEqual((await http(url, 'GET', '/api/app-status')).body, { app: 'express' });
  });
});

describe('library mode: registered on a Fastify app', () => {
  let app: FastifyInstance;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-lib-'));
    app = Fastify();
    app.get('/api/app-status', async () => ({ app: 'fastify' }));
    app.setNotFoundHandler((_request, reply) => void reply.code(404).send({ hostNotFound: true }));
    await attachParley(app, {
      env: { DATA_DIR: dataDir, JWT_SECRET: 'library-test-secret-0123456789abcdefghij', LOG_LEVEL: 'silent' },
      identity,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app?.close(); // closes Parley too
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps the app's routes and 404 handling, and serves Parley on the same port", async () => {
    const url = urlOf(app.server);
    assert.deepEqual((await http(url, 'GET', '/api/app-status')).body, { app: 'fastify' });
    assert.deepEqual((await http(url, 'GET', '/no/such/path')).body, { hostNotFound: true });
    // Parley's security headers stay on Parley's routes.
    const own = await fetch(`${url}/api/app-status`);
    assert.equal(own.headers.get('content-security-policy'), null);
    const parleys = await fetch(`${url}/healthz`);
    assert.match(parleys.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    await chatThrough(url);
  });
});

describe('library mode with the admin UI: a hostile admin login cannot bring the host down', () => {
  let server: Server;
  let parley: Parley;
  let dataDir: string;
  const rejections = recordUnhandledRejections();

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-lib-'));
    const app = express();
    app.get('/api/app-status', (_req, res) => void res.json({ app: 'express' }));
    server = createServer(app);
    parley = await attachParley(server, {
      env: {
        DATA_DIR: dataDir,
        JWT_SECRET: 'library-test-secret-0123456789abcdefghij',
        LOG_LEVEL: 'silent',
        ADMIN_UI_USERNAME: 'ops',
        ADMIN_UI_PASSWORD_HASH: bcrypt.hashSync('admin-ui-password', 4),
      },
      identity,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    rejections.stop();
    await parley?.close();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a non-string password with an error; the host and Parley keep serving', async () => {
    const url = urlOf(server);
    for (const password of [12345, { toString: 'x' }, ['admin-ui-password'], true]) {
      assert.equal(await adminLogin(url, { username: 'ops', password }), 'invalid credentials');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Without a listener, Node's default for these would have ended the host's process.
    assert.deepEqual(rejections.seen, [], 'no unhandled rejection');
    assert.ok(server.listening);
    assert.deepEqual((await http(url, 'GET', '/api/app-status')).body, { app: 'express' });
    (await connectClient(url, 'token-u-ada')).close();
    assert.equal(await adminLogin(url, { username: 'ops', password: 'admin-ui-password' }), 'connected');
  });
});
