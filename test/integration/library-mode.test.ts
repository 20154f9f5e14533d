import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import bcrypt from 'bcryptjs';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { parley as parleyPlugin, type Parley } from '../../src/app.js';
import { asyncApiJson } from '../../src/docs/asyncapi.js';
import { DOCS_CSP } from '../../src/docs/openapi.js';
import { attachParley } from '../../src/library.js';
import type { ExternalIdentity } from '../../src/services/ports.js';
import { adminLogin, recordUnhandledRejections } from '../support/admin-ui.js';
import { fastifyRoutes } from '../support/api-docs.js';
import { http } from '../support/http.js';
import { connectClient, handshakeOutcome, TestClient } from '../support/socket.js';

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

/**
 * One conversation through Parley on a host: REST send, real-time delivery, history both ways.
 * `notThere` is the host's status for a path it has no route for.
 */
async function chatThrough(url: string, notThere = 404) {
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
  // The host owns accounts: Parley's registration and login are not there (the host answers).
  const body = { name: 'X', username: 'xyz', email: 'x@example.test', password: 'long enough' };
  assert.equal((await http(url, 'POST', '/api/auth/register', { body })).status, notThere);
  assert.equal((await http(url, 'POST', '/api/auth/login', { body })).status, notThere);
}

/** Parley's documents on a host: the Swagger UI (with its files) and OpenAPI at /docs, AsyncAPI at /asyncapi.json. */
async function docsThrough(url: string) {
  const ui = await fetch(`${url}/docs`);
  assert.equal(ui.status, 200);
  assert.match(ui.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(ui.headers.get('content-security-policy'), DOCS_CSP);
  const asset = /src="([^"]+\.js)"/.exec(await ui.text())?.[1] ?? 'no script in the page';
  const script = await fetch(new URL(asset, `${url}/docs`));
  assert.equal(script.status, 200, asset);
  await script.arrayBuffer();
  const doc = await http(url, 'GET', '/docs/json');
  assert.equal(doc.status, 200);
  assert.equal(doc.body.info.title, 'Parley');
  assert.ok(doc.body.paths['/api/messages'], "Parley's routes are documented");
  assert.equal(doc.body.paths['/api/app-status'], undefined, "the host's are not");
  const asyncApi = await fetch(`${url}/asyncapi.json`);
  assert.equal(asyncApi.status, 200);
  assert.equal(await asyncApi.text(), asyncApiJson());
}

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const env = (dataDir: string) => ({
  DATA_DIR: dataDir,
  JWT_SECRET: 'library-test-secret-0123456789abcdefghij',
  LOG_LEVEL: 'silent',
});

describe('library mode: attached to an Express 5 app', () => {
  let server: Server;
  let parley: Parley;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-lib-'));
    const app = express();
    app.use(express.json());
    app.get('/api/app-status', (_req, res) => void res.json({ app: 'express' }));
    app.post('/api/app-echo', (req, res) => void res.json({ echo: req.body }));
    app.get('/', (_req, res) => void res.send('the host app'));
    // Whatever the host does not know is answered by the host, recognisably.
    app.use((_req, res) => void res.status(418).json({ host: true }));
    server = createServer(app);
    parley = await attachParley(server, { env: env(dataDir), identity });
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
    await chatThrough(url, 418);
  });

  it('hands the host its requests unread: a JSON body reaches express.json()', async () => {
    const url = urlOf(server);
    const body = { text: 'for the host', n: 42 };
    const echoed = await http(url, 'POST', '/api/app-echo', { body });
    assert.deepEqual([echoed.status, echoed.body], [200, { echo: body }]);
    assert.equal(echoed.headers.get('x-request-id'), null, "no Parley hook ran on the host's request");
    assert.deepEqual((await http(url, 'POST', '/no/such/path', { body })).body, { host: true });
    assert.equal((await fetch(`${url}/api/users/%zz`)).status, 418, "an undecodable path is not Parley's");
  });

  it('gives Parley every request its Fastify has a route for, with no list of paths to keep', async () => {
    const url = urlOf(server);
    await docsThrough(url);
    const routes = fastifyRoutes(parley.fastify.printRoutes({ commonPrefix: false }));
    assert.ok(routes.includes('GET /docs') && routes.includes('GET /asyncapi.json'), routes.join('\n'));
    for (const route of routes) {
      const [method = '', pattern = ''] = route.split(' ');
      // CORS preflights: below. A wildcard's prefix is not in the printed tree (docsThrough fetched
      // the UI's files from /docs/static/*).
      if (method === 'OPTIONS' || pattern.endsWith('*')) continue;
      const path = pattern.replaceAll('{}', '1');
      const res = await fetch(`${url}${path}`, { method });
      await res.arrayBuffer();
      assert.notEqual(res.status, 418, `${route} reached the host`);
      assert.ok(res.headers.get('x-request-id'), `${route} is answered by Parley`);
    }
    // A preflight is Parley's when the request it announces is; @fastify/cors's OPTIONS * is not asked.
    const preflight = (path: string) =>
      fetch(`${url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://client.test', 'access-control-request-method': 'POST' },
      });
    const parleys = await preflight('/api/messages');
    assert.equal(parleys.status, 204);
    assert.match(parleys.headers.get('access-control-allow-methods') ?? '', /POST/);
    assert.equal((await preflight('/api/app-echo')).status, 418);
    assert.equal((await fetch(`${url}/api/messages`, { method: 'OPTIONS' })).status, 418);
  });

  it('serves Socket.IO over long-polling as well as WebSocket', async () => {
    const url = urlOf(server);
    const ben = await whoIs(url, 'token-u-ben');
    const ada = await connectClient(url, 'token-u-ada', { transports: ['polling'] });
    try {
      assert.equal(ada.socket.io.engine.transport.name, 'polling');
      const sent = await ada.socket.emitWithAck('send_message', { receiverId: ben._id, content: 'polled' });
      assert.equal(sent.success, true);
    } finally {
      ada.close();
    }
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
    await docsThrough(url);
    await chatThrough(url);
  });
});

describe('library mode: app.register(parley) on a Fastify app with OpenAPI documents of its own', () => {
  let app: FastifyInstance;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-lib-'));
    app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 'Host', version: '1.0.0' } } });
    await app.register(swaggerUi, { routePrefix: '/documentation' });
    app.get('/api/app-status', async () => ({ app: 'fastify' }));
    await app.register(parleyPlugin, { env: env(dataDir), identity });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves Parley's /docs and /asyncapi.json beside the host's own documents", async () => {
    const url = urlOf(app.server);
    assert.equal(app.parley.fastify, app);
    await docsThrough(url);
    const hosts = await http(url, 'GET', '/documentation/json');
    assert.equal(hosts.body.info.title, 'Host');
    assert.ok(hosts.body.paths['/api/app-status']);
    assert.equal(hosts.body.paths['/api/messages'], undefined, "Parley's routes stay out of the host's");
    assert.equal((await fetch(`${url}/documentation`)).status, 200);
    assert.equal((await whoIs(url, 'token-u-ada')).username, 'ada');
  });

  it("close() stops Parley and leaves the host's app serving", async () => {
    const url = urlOf(app.server);
    assert.throws(() => app.parley.listen(), /host application listens/);
    const client = await connectClient(url, 'token-u-ada', { reconnection: false });
    const reason = new Promise((resolve) => client.socket.once('disconnect', resolve));
    await app.parley.close();
    assert.equal(await reason, 'transport close');
    assert.ok(app.server.listening);
    assert.deepEqual((await http(url, 'GET', '/api/app-status')).body, { app: 'fastify' });
    const closed = await http(url, 'GET', '/api/auth/me', { token: 'token-u-ada' });
    assert.deepEqual([closed.status, closed.body], [503, { message: 'Service unavailable' }]);
    assert.notEqual(await handshakeOutcome(url, 'token-u-ada'), 'connected');
  });
});

describe("library mode: a host route on one of Parley's paths", () => {
  it('refuses to register, with a clear error', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-lib-'));
    const app = Fastify();
    app.get('/docs', async () => "the host's own docs");
    try {
      await assert.rejects(
        async () => void (await app.register(parleyPlugin, { env: env(dataDir), identity })),
        { message: 'GET /docs is already a route: Parley serves its API documents under /docs' },
      );
      assert.equal(app.hasDecorator('parley'), false);
    } finally {
      await app.close().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
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
