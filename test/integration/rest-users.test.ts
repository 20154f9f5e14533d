import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, testBackend, type TestServer } from '../support/server.js';
import { connectClient } from '../support/socket.js';

type Page = {
  users: Registered['user'][];
  pagination: { page: number; limit: number; total: number; hasMore: boolean };
};

/** A string no other user of this file contains, in any field. */
let seq = 0;
const uniqueTag = () => {
  seq += 1;
  return `t${seq}q${Math.random().toString(36).slice(2, 8)}`;
};

const ids = (users: { _id: string }[]) => users.map((u) => u._id).sort();
const isIso = (value: unknown) =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;

describe('REST users directory', () => {
  let server: TestServer;
  let me: Registered;

  before(async () => {
    server = await startServer({ REGISTRATION_ROLES: 'agent' });
    me = await registerUser(server.url, { name: 'Directory Viewer' });
  });
  after(() => server.close());

  const list = async (query = '', token = me.token) => {
    const res = await http<Page>(server.url, 'GET', `/api/users${query}`, { token });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body;
  };

  it('lists everyone but the caller, with {users, pagination}', async () => {
    const others = [await registerUser(server.url), await registerUser(server.url)];
    const body = await list();
    assert.deepEqual(Object.keys(body).sort(), ['pagination', 'users']);
    assert.deepEqual(body.pagination, { page: 1, limit: 20, total: 2, hasMore: false });
    assert.deepEqual(ids(body.users), ids(others.map((o) => o.user)));
    for (const other of others) {
      // Other users appear without their email.
      const { email: _email, ...seen } = other.user;
      assert.deepEqual(
        body.users.find((u) => u._id === other.user._id),
        seen,
      );
    }
    // The other side sees the viewer and not itself.
    const theirs = await list('', others[0]?.token);
    assert.deepEqual(ids(theirs.users), ids([me.user, others[1]!.user]));
  });

  it('requires a token', async () => {
    const res = await http(server.url, 'GET', '/api/users');
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { message: 'Authentication error: No token provided' });
  });

  it('searches name and username case-insensitively with q, never email addresses', async () => {
    const tag = uniqueTag();
    const byName = await registerUser(server.url, { name: `Zebra ${tag}name` });
    const byUsername = await registerUser(server.url, { username: `${tag}user` });
    const byEmail = await registerUser(server.url, { email: `box@${tag}mail.test` });
    await registerUser(server.url, { name: 'Someone Else' });

    const search = async (q: string) => ids((await list(`?q=${encodeURIComponent(q)}`)).users);
    assert.deepEqual(await search(`${tag}NAME`.toUpperCase()), [byName.user._id]);
    assert.deepEqual(await search(`zebra ${tag}`), [byName.user._id]);
    assert.deepEqual(await search(`${tag}USER`), [byUsername.user._id]);
    assert.deepEqual(await search(`${tag}Mail.TEST`), []);
    assert.deepEqual(await search(byEmail.user.email), []);
    assert.deepEqual(await search(tag.toUpperCase()), ids([byName.user, byUsername.user]));
    const total = (await list(`?q=${tag}`)).pagination.total;
    assert.equal(total, 2);
    assert.deepEqual(await search(`${tag}-nothing`), []);
    // The caller is excluded from search results too.
    assert.deepEqual(await search('Directory Viewer'), []);
  });

  it('treats LIKE wildcards in q as literal characters', async () => {
    const tag = uniqueTag();
    const percent = await registerUser(server.url, { name: `Pct ${tag}%off` });
    await registerUser(server.url, { name: `Pct ${tag}xoff` });
    const underscore = await registerUser(server.url, { name: `Und ${tag}_b` });
    await registerUser(server.url, { name: `Und ${tag}xb` });
    const backslash = await registerUser(server.url, { name: `Bsl ${tag}\\z` });

    const search = async (q: string) => ids((await list(`?q=${encodeURIComponent(q)}`)).users);
    assert.deepEqual(await search(`${tag}%`), [percent.user._id]);
    assert.deepEqual(await search(`${tag}%off`), [percent.user._id]);
    assert.deepEqual(await search(`${tag}_b`), [underscore.user._id]);
    assert.deepEqual(await search(`${tag}\\`), [backslash.user._id]);
    assert.deepEqual(await search('%'), [percent.user._id]);
  });

  it('pages with page and limit', async () => {
    const tag = uniqueTag();
    const made: Registered[] = [];
    for (let i = 0; i < 5; i += 1) made.push(await registerUser(server.url, { name: `Pager ${tag} ${i}` }));

    const page1 = await list(`?q=${tag}&limit=2`);
    const page2 = await list(`?q=${tag}&limit=2&page=2`);
    const page3 = await list(`?q=${tag}&limit=2&page=3`);
    const page4 = await list(`?q=${tag}&limit=2&page=4`);
    assert.deepEqual(page1.pagination, { page: 1, limit: 2, total: 5, hasMore: true });
    assert.deepEqual(page2.pagination, { page: 2, limit: 2, total: 5, hasMore: true });
    assert.deepEqual(page3.pagination, { page: 3, limit: 2, total: 5, hasMore: false });
    assert.deepEqual(page4.pagination, { page: 4, limit: 2, total: 5, hasMore: false });
    assert.equal(page1.users.length, 2);
    assert.equal(page2.users.length, 2);
    assert.equal(page3.users.length, 1);
    assert.equal(page4.users.length, 0);
    const seen = [...page1.users, ...page2.users, ...page3.users];
    assert.deepEqual(ids(seen), ids(made.map((m) => m.user)), 'pages are disjoint and cover everyone');
  });

  it('caps limit above 100 to 100', async () => {
    for (const limit of ['101', '500', '1000000']) {
      const body = await list(`?limit=${limit}`);
      assert.equal(body.pagination.limit, 100, `limit=${limit}`);
    }
    assert.equal((await list('?limit=100')).pagination.limit, 100);
    assert.equal((await list('?limit=1')).users.length, 1);
  });

  it('answers 400 for an invalid page or limit', async () => {
    const cases: Array<[string, RegExp]> = [
      ['?page=0', /page/],
      ['?page=-1', /page/],
      ['?page=abc', /page/],
      ['?page=1.5', /page/],
      ['?limit=0', /limit/],
      ['?limit=-5', /limit/],
      ['?limit=lots', /limit/],
    ];
    for (const [query, message] of cases) {
      const res = await http(server.url, 'GET', `/api/users${query}`, { token: me.token });
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, message, query);
    }
  });

  it('pages at most 1000 users deep (page × limit), answering 400 beyond', async () => {
    assert.equal((await list('?page=50&limit=20')).pagination.page, 50);
    assert.equal((await list('?page=10&limit=100')).pagination.page, 10);
    for (const query of ['?page=51', '?page=11&limit=100', '?page=11&limit=500', '?page=1000000&limit=100']) {
      const res = await http(server.url, 'GET', `/api/users${query}`, { token: me.token });
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.message, 'page * limit must be at most 1000; narrow the search with q', query);
    }
  });

  it('says hasMore: false on the last page the depth cap allows, however many more match', async () => {
    const tag = uniqueTag();
    // 1005 matching users, written straight into storage (registering them would take a minute).
    await server.sql(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1005)
       INSERT INTO users (name, username, email, role, password_hash, created_at)
       SELECT 'Deep ${tag} ' || i, 'deep_${tag}_' || i, 'deep_${tag}_' || i || '@example.test', 'customer', 'x', 0
       FROM n`,
    );
    const ninth = await list(`?q=${tag}&limit=100&page=9`);
    assert.deepEqual(ninth.pagination, { page: 9, limit: 100, total: 1005, hasMore: true });
    const tenth = await list(`?q=${tag}&limit=100&page=10`);
    assert.equal(tenth.users.length, 100);
    assert.deepEqual(tenth.pagination, { page: 10, limit: 100, total: 1005, hasMore: false });
  });

  it('reads the directory in the order of an index, not by sorting the users table', async () => {
    if (testBackend === 'scaled') {
      const rows = await server.sql<{ indexdef: string }>(
        "select indexdef from pg_indexes where tablename = 'users' and schemaname = current_schema()",
      );
      assert.ok(
        rows.some((r) => /\(lower\(name\), id\)/.test(r.indexdef)),
        JSON.stringify(rows.map((r) => r.indexdef)),
      );
      return;
    }
    // The shape of the directory query: filter, then order by lower(name), id, one page.
    const plan = await server.sql<{ detail: string }>(
      `explain query plan select id, name from users where id != ? and (lower(name) like ? or lower(username) like ?)
       order by lower(name), id limit 20 offset 980`,
      [me.user._id, '%a%', '%a%'],
    );
    const steps = plan.map((p) => p.detail).join('; ');
    assert.doesNotMatch(steps, /TEMP B-TREE/, steps);
    assert.match(steps, /USING INDEX/, steps);
  });

  it('GET /api/users/:id answers {user}, or 404 "User not found"', async () => {
    const other = await registerUser(server.url, { name: 'Looked Up', role: 'agent' });
    const res = await http(server.url, 'GET', `/api/users/${other.user._id}`, { token: me.token });
    assert.equal(res.status, 200);
    const { email: _email, ...seen } = other.user;
    assert.deepEqual(res.body, { user: seen });
    assert.equal(res.body.user.role, 'agent');

    // Looking oneself up is the one case where the answer carries the email.
    const self = await http(server.url, 'GET', `/api/users/${me.user._id}`, { token: me.token });
    assert.deepEqual(self.body, { user: me.user });

    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-user']) {
      const missing = await http(server.url, 'GET', `/api/users/${id}`, { token: me.token });
      assert.equal(missing.status, 404, id);
      assert.match(missing.headers.get('content-type') ?? '', /application\/json/);
      assert.deepEqual(missing.body, { message: 'User not found' });
    }

    const anonymous = await http(server.url, 'GET', `/api/users/${other.user._id}`);
    assert.equal(anonymous.status, 401);
  });

  it('sets lastSeen to an ISO date once the user has connected and disconnected', async () => {
    const visitor = await registerUser(server.url);
    const before = await http(server.url, 'GET', `/api/users/${visitor.user._id}`, { token: me.token });
    assert.equal(before.body.user.lastSeen, null);

    const watcher = await connectClient(server.url, me.token);
    try {
      const start = Date.now();
      const client = await connectClient(server.url, visitor.token);
      client.close();
      const offline = await watcher.next<{ userId: string; lastSeen: string }>(
        'user_offline',
        (p) => p.userId === visitor.user._id,
      );

      const after = await http(server.url, 'GET', `/api/users/${visitor.user._id}`, { token: me.token });
      const lastSeen = after.body.user.lastSeen;
      assert.ok(isIso(lastSeen), `lastSeen is an ISO string: ${lastSeen}`);
      assert.equal(lastSeen, offline.lastSeen);
      assert.ok(Date.parse(lastSeen) >= start - 1000, 'lastSeen is recent');

      // The directory shows the same value.
      const listed = await list(`?q=${encodeURIComponent(visitor.user.username)}`);
      assert.equal(listed.users[0]?.lastSeen, lastSeen);
    } finally {
      watcher.close();
    }
  });

  it('/healthz and /readyz answer ok', async () => {
    const health = await http(server.url, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.body, { status: 'ok' });

    const ready = await http(server.url, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'ok');
    assert.equal(ready.body.checks.storage, 'ok');
  });
});
