import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { asyncApiJson } from '../../src/docs/asyncapi.js';
import { DOCS_CSP } from '../../src/docs/openapi.js';
import { checkAnswer, documentedRoutes, fastifyRoutes, type OpenApiDoc } from '../support/api-docs.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';

/** The /api routes that need no token. */
const PUBLIC_API = ['/api/auth/register', '/api/auth/login'];

describe('API docs: OpenAPI and Swagger UI at /docs, AsyncAPI at /asyncapi.json', () => {
  let server: TestServer;
  let doc: OpenApiDoc;
  let alice: Registered;
  let bob: Registered;

  before(async () => {
    server = await startServer({ RATE_LIMITS: 'off' });
    [alice, bob] = [await registerUser(server.url), await registerUser(server.url)];
    const res = await fetch(`${server.url}/docs/json`);
    assert.equal(res.status, 200);
    doc = (await res.json()) as OpenApiDoc;
  });
  after(async () => {
    await server?.close();
  });

  it('serves the AsyncAPI document at /asyncapi.json, as generated', async () => {
    const res = await fetch(`${server.url}/asyncapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(await res.text(), asyncApiJson());
  });

  it('serves a valid OpenAPI 3.1 document at /docs/json', async () => {
    assert.equal(doc.openapi, '3.1.0');
    // validate() dereferences in place: give it a copy.
    await SwaggerParser.validate(structuredClone(doc) as any);
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'The token from `POST /api/auth/register` or `POST /api/auth/login`',
    });
    // The validator does reject a broken document.
    const broken = structuredClone(doc) as any;
    delete broken.paths['/healthz'].get.responses['200'].description;
    await assert.rejects(SwaggerParser.validate(broken), /description/);
  });

  it('documents every route Fastify has but browser pages', async () => {
    const registered = fastifyRoutes(server.app.fastify.printRoutes({ commonPrefix: false })).filter(
      (route) => !/^(HEAD|OPTIONS) /.test(route),
    );
    const documented = documentedRoutes(doc);
    assert.ok(documented.includes('PATCH /api/messages/{}/read'), documented.join('\n'));
    assert.deepEqual(
      documented.filter((route) => !registered.includes(route)),
      [],
      'documented routes that do not exist',
    );
    // What is left out must be a page or file for a browser (the UI's own, the demo's), never JSON.
    const hidden = registered.filter((route) => !documented.includes(route));
    assert.ok(hidden.includes('GET /docs'), hidden.join('\n'));
    for (const route of hidden) {
      const [method, path = ''] = route.split(' ');
      // The document itself, the UI's file server, source maps of the demo's script.
      if (/^\/docs\/(json|yaml|\*)$/.test(path) || path.endsWith('.js.map')) continue;
      assert.equal(method, 'GET', `${route} is not documented`);
      const res = await fetch(`${server.url}${path}`);
      await res.arrayBuffer();
      assert.equal(res.status, 200, route);
      assert.match(
        res.headers.get('content-type') ?? '',
        /^(text\/(html|css|javascript)|application\/javascript|image\/)/,
        `${route} is not documented`,
      );
    }

    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const label = `${method.toUpperCase()} ${path}`;
        assert.ok(operation.summary && operation.tags?.length === 1, `${label} has a summary and a tag`);
        const statuses = Object.keys(operation.responses);
        assert.ok(
          statuses.some((s) => s.startsWith('2')),
          `${label} documents its success answer`,
        );
        const guarded = Boolean(operation.security?.some((s) => 'bearerAuth' in s));
        assert.equal(guarded, path.startsWith('/api/') && !PUBLIC_API.includes(path), `${label} security`);
        if (guarded) assert.ok(statuses.includes('401'), `${label} documents 401`);
        for (const status of statuses.filter((s) => /^[45]/.test(s) && path.startsWith('/api/'))) {
          const schema = operation.responses[status]?.content?.['application/json']?.schema as any;
          assert.deepEqual(schema?.required, ['message'], `${label} ${status} is {message}`);
        }
      }
    }
  });

  it('documents what every route really answers, with the zod validation messages unchanged', async () => {
    const problems: string[] = [];
    const call = async (
      method: string,
      path: string,
      url: string,
      options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
    ) => {
      const res = await http(server.url, method, url, options);
      const contentType = res.headers.get('content-type') ?? '';
      problems.push(
        ...checkAnswer(doc, { method, path }, { status: res.status, contentType, body: res.body }),
      );
      return res;
    };
    const token = alice.token;
    const other = bob.user._id;

    const registered = await call('POST', '/api/auth/register', '/api/auth/register', { body: {} });
    assert.equal(registered.body.message, 'name is required', 'Fastify must not validate the body itself');
    await call('POST', '/api/auth/register', '/api/auth/register', {
      body: { ...alice.user, password: 'long enough password', email: 'x@example.test' },
    });
    await call('POST', '/api/auth/register', '/api/auth/register', {
      body: 'a=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const fresh = await call('POST', '/api/auth/register', '/api/auth/register', {
      body: {
        name: 'Doc',
        username: `doc_${Date.now()}`,
        email: `doc${Date.now()}@example.test`,
        password: 'long enough',
      },
    });
    assert.equal(fresh.status, 201);
    await call('POST', '/api/auth/login', '/api/auth/login', {
      body: { username: alice.user.username, password: alice.password },
    });
    await call('POST', '/api/auth/login', '/api/auth/login', { body: { username: 'nobody', password: 'x' } });
    await call('GET', '/api/auth/me', '/api/auth/me', { token });
    await call('GET', '/api/auth/me', '/api/auth/me');
    const users = await call('GET', '/api/users', '/api/users?limit=1000', { token });
    assert.equal(users.body.pagination.limit, 100, 'limits are capped by zod, not refused');
    await call('GET', '/api/users', '/api/users?page=0', { token });
    await call('GET', '/api/users/{id}', `/api/users/${other}`, { token });
    await call('GET', '/api/users/{id}', '/api/users/999999', { token });
    const sent = await call('POST', '/api/messages', '/api/messages', {
      token,
      body: { receiverId: other, content: 'documented', clientMessageId: 'doc-1' },
    });
    assert.equal(sent.status, 201);
    await call('POST', '/api/messages', '/api/messages', {
      token,
      body: { receiverId: '999999', content: 'x' },
    });
    await call('GET', '/api/messages/{otherUserId}', `/api/messages/${other}?limit=5`, { token });
    await call('GET', '/api/messages/unread-count', '/api/messages/unread-count', { token: bob.token });
    await call('GET', '/api/messages/sync', '/api/messages/sync?lastMessageId=0', { token });
    await call('GET', '/api/messages/sync', '/api/messages/sync?lastMessageId=x', { token });
    const id = sent.body.message._id;
    await call('PATCH', '/api/messages/{id}/read', `/api/messages/${id}/read`, { token: bob.token });
    await call('PATCH', '/api/messages/{id}/read', `/api/messages/${id}/read`, { token });
    await call('PATCH', '/api/messages/{id}/read', '/api/messages/999999/read', { token });
    await call('GET', '/healthz', '/healthz');
    await call('GET', '/readyz', '/readyz');
    await call('GET', '/metrics', '/metrics');
    await call('GET', '/asyncapi.json', '/asyncapi.json');
    assert.deepEqual(problems, []);
  });

  it('serves the Swagger UI at /docs under its own CSP, with every asset it references', async () => {
    const res = await fetch(`${server.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('content-security-policy'), DOCS_CSP);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script (script-src is self only)');
    assert.doesNotMatch(html, /<style|\sstyle=/, 'no inline style (style-src is self only)');

    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] ?? '');
    assert.ok(assets.length >= 5, html);
    const types: Record<string, RegExp> = { css: /^text\/css/, js: /javascript/, png: /^image\/png/ };
    for (const asset of assets) {
      const url = new URL(asset, `${server.url}/docs`);
      assert.equal(url.origin, server.url, `${asset} is same-origin`);
      const got = await fetch(url);
      assert.equal(got.status, 200, asset);
      const type = types[asset.split('.').pop() ?? ''];
      assert.match(got.headers.get('content-type') ?? '', type ?? /./, asset);
      await got.arrayBuffer();
    }
    const init = await (await fetch(`${server.url}/docs/static/swagger-initializer.js`)).text();
    assert.match(init, /resolveUrl\('\.\/json'\)/, 'the UI loads the document from /docs/json');

    // The rest of the API keeps the strict policy.
    const api = await fetch(`${server.url}/healthz`);
    assert.match(api.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  });
});
