import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { authOf, bodyOf, bodyView, queryOf, request, segmentOf, type Answer } from '../support/fuzz-http.js';
import {
  bounded,
  hasNul,
  loginBody,
  loginVerdict,
  registerBody,
  registerVerdict,
} from '../support/fuzz-auth.js';
import { startFuzzChat, type ChatModel } from '../support/fuzz-model.js';
import * as F from '../support/fuzz.js';
import { loneSurrogates, validUnicode } from '../support/fuzz-unicode.js';
import { http, registerUser, type Registered } from '../support/http.js';
import type { TestServer } from '../support/server.js';

/**
 * Property-based fuzzing of the REST writes and reads with generated bodies (JSON, near-JSON, raw text
 * and bytes under every content type), query strings, path segments and Authorization headers. Every
 * answer must be JSON with a `message` for errors and never a 5xx; the oracle decides where the rules are
 * clear; at the end users, messages and read states equal what the accepted requests explain.
 */

describe('REST fuzzing', { timeout: 180_000 }, () => {
  let server: TestServer;
  let fuzzer: Registered;
  let alice: Registered;
  let bob: Registered;
  let model: ChatModel;
  const stats = new Map<string, { requests: number; accepted: number }>();

  /** Sends one request, checks what holds for every answer and that the oracle allows it; returns it. */
  async function check(
    name: string,
    verdict: F.Verdict,
    method: string,
    path: string,
    sent = {},
  ): Promise<Answer> {
    const answer = await request(server.url, method, path, sent);
    const label = `${method} ${path.slice(0, 200)} ${JSON.stringify(sent).slice(0, 300)} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
    assert.ok(answer.status < 500, `server error: ${label}`);
    assert.match(answer.contentType, /^application\/json/, label);
    const ok = answer.status < 300;
    if (!ok) assert.ok(typeof answer.body?.message === 'string' && answer.body.message.length > 0, label);
    assert.notEqual(
      verdict,
      ok ? 'reject' : 'accept',
      `${ok ? 'invalid input accepted' : 'valid input refused'}: ${label}`,
    );
    const row = stats.get(name) ?? { requests: 0, accepted: 0 };
    stats.set(name, row);
    row.requests += 1;
    if (ok) row.accepted += 1;
    return answer;
  }

  const bodyVerdict = (view: ReturnType<typeof bodyView>, rule: (v: unknown) => F.Verdict): F.Verdict =>
    view.kind === 'value' ? rule(view.value) : view.kind === 'unsure' ? 'either' : 'reject';

  function usersVerdict(view: Record<string, string | string[]>): F.Verdict {
    const q = view.q;
    const qv = q === undefined ? 'accept' : typeof q !== 'string' ? 'reject' : bounded(q.trim(), 0, 100);
    const paged = F.pageVerdict(view.page) === 'accept' && F.pageVerdict(view.limit) === 'accept';
    // The directory is paged at most 1000 users deep.
    const deep = paged && Number(view.page ?? 1) * F.pageSize(view.limit, 20) > 1000;
    return F.all(
      qv,
      F.pageVerdict(view.page, 1_000_000),
      F.pageVerdict(view.limit),
      deep ? 'reject' : 'accept',
    );
  }

  const fuzz = <T>(arb: fc.Arbitrary<T>, runs: number, body: (value: T) => Promise<void>) =>
    fc.assert(fc.asyncProperty(arb, body), F.fuzzOptions(runs));

  before(async () => {
    ({ server, fuzzer, alice, bob, model } = await startFuzzChat());
  });

  after(async () => {
    await server?.close();
  });

  it('POST /api/auth/register: 201 only for valid, new users; 4xx JSON otherwise', async () => {
    const body = registerBody();
    await fuzz(bodyOf(body), 200, async (sent) => {
      const view = bodyView(sent);
      const answer = await check(
        'register',
        bodyVerdict(view, (v) => registerVerdict(model, v)),
        'POST',
        '/api/auth/register',
        sent,
      );
      if (answer.status !== 201) return;
      const v = (view as { value: Record<string, unknown> }).value;
      assert.equal(answer.body.user.email, (v.email as string).trim().toLowerCase());
      model.addUser({ ...answer.body, password: v.password });
    });
  });

  it('POST /api/auth/login: 200 only for the right password; 4xx JSON otherwise', async () => {
    const body = loginBody(model);
    // NUL in email / username has its own test below.
    const clean = bodyOf(body).filter((sent) => {
      const view = bodyView(sent);
      return !(
        view.kind === 'value' &&
        F.isObject(view.value) &&
        [view.value.email, view.value.username].some(hasNul)
      );
    });
    await fuzz(clean, 200, async (sent) => {
      const answer = await check(
        'login',
        bodyVerdict(bodyView(sent), (v) => loginVerdict(model, v)),
        'POST',
        '/api/auth/login',
        sent,
      );
      if (answer.status === 200) assert.ok(model.users.has(answer.body.user._id));
    });
  });

  it('POST /api/messages: 201 only for valid sends, recorded exactly', async () => {
    const receiverId = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(alice.user._id, bob.user._id) },
      { weight: 2, arbitrary: F.idLike([...model.users.keys()]) },
    );
    const shape = { receiverId, content: F.contentLike, clientMessageId: F.clientIdLike };
    const body = fc.oneof({ weight: 5, arbitrary: F.objectOf(shape, ['receiverId', 'content']) }, F.junk);
    await fuzz(fc.tuple(bodyOf(body), authOf(fuzzer.token)), 800, async ([sent, auth]) => {
      const view = bodyView(sent);
      const verdict = F.all(
        bodyVerdict(view, (v) => model.sendVerdict(v)),
        auth.valid ? 'accept' : 'reject',
      );
      const answer = await check('send', verdict, 'POST', '/api/messages', {
        ...sent,
        authorization: auth.header,
      });
      if (answer.status === 201)
        model.sent((view as { value: Record<string, unknown> }).value, answer.body.message);
    });
  });

  it('PATCH /api/messages/:id/read: 200 only for the caller’s own messages', async () => {
    const mine = [...model.messages].filter(([, m]) => m.receiverId === fuzzer.user._id).map(([id]) => id);
    const id = fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...mine) },
      { weight: 3, arbitrary: F.idLike([...model.messages.keys()]) },
    );
    const body = fc.oneof({ weight: 6, arbitrary: fc.constant({}) }, bodyOf(F.junk));
    await fuzz(fc.tuple(segmentOf(id), body, authOf(fuzzer.token)), 500, async ([segment, sent, auth]) => {
      const view = bodyView(sent);
      const verdict = F.all(
        segment.decoded === undefined ? 'either' : model.markVerdict(segment.decoded),
        view.kind === 'value' ? 'accept' : view.kind === 'refused' ? 'reject' : 'either',
        auth.valid ? 'accept' : 'reject',
      );
      const path = `/api/messages/${segment.text}/read`;
      const answer = await check('read', verdict, 'PATCH', path, { ...sent, authorization: auth.header });
      if (answer.status === 200) model.marked(segment.decoded ?? answer.body.message._id, answer.body);
    });
  });

  it('GET /api/messages/:otherUserId: the modelled page, or 4xx JSON', async () => {
    const ids = [...model.users.keys()];
    const other = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...ids) },
      { weight: 2, arbitrary: F.idLike(ids) },
    );
    const args = fc.tuple(
      segmentOf(other).filter((s) => s.decoded !== 'unread-count'),
      queryOf(['page', 'limit']),
      authOf(fuzzer.token),
    );
    await fuzz(args, 700, async ([segment, query, auth]) => {
      const decided = segment.decoded !== undefined && query.exact;
      const verdict = F.all(
        decided ? model.historyVerdict(segment.decoded, query.view.page, query.view.limit) : 'either',
        auth.valid ? 'accept' : 'reject',
      );
      const path = `/api/messages/${segment.text}?${query.text}`;
      const answer = await check('history', verdict, 'GET', path, { authorization: auth.header });
      if (answer.status === 200 && decided)
        model.checkPage(segment.decoded, query.view.page, query.view.limit, answer.body);
    });
  });

  it('GET /api/users: a page of the directory, or 4xx JSON', async () => {
    // NUL in q has its own test below (documented as refused).
    const query = queryOf(['q', 'page', 'limit']).filter((q) => !Object.values(q.view).flat().some(hasNul));
    await fuzz(fc.tuple(query, authOf(fuzzer.token)), 700, async ([q, auth]) => {
      const verdict = F.all(q.exact ? usersVerdict(q.view) : 'either', auth.valid ? 'accept' : 'reject');
      const answer = await check('users', verdict, 'GET', `/api/users?${q.text}`, {
        authorization: auth.header,
      });
      if (answer.status !== 200 || !q.exact) return;
      assert.equal(answer.body.pagination.limit, F.pageSize(q.view.limit, 20));
      if (!q.view.q?.toString().trim()) assert.equal(answer.body.pagination.total, model.users.size - 1);
    });
  });

  it('the conversation routes: 2xx only for the caller’s own conversations, 4xx JSON otherwise', async () => {
    const ids = [...model.users.keys()];
    const userId = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...ids) },
      { weight: 2, arbitrary: F.idLike(ids) },
    );
    const open = fc.oneof(
      { weight: 4, arbitrary: F.objectOf({ type: fc.constant('direct'), userId }, ['type', 'userId']) },
      F.objectOf({ type: F.junk, userId: F.junk }),
      F.junk,
    );
    const openVerdict = (v: unknown): F.Verdict => {
      if (!F.isObject(v) || F.field(v, 'type') !== 'direct') return 'reject';
      const id = F.idOf(F.field(v, 'userId'));
      return id !== undefined && id !== fuzzer.user._id && model.users.has(id) ? 'accept' : 'reject';
    };
    await fuzz(fc.tuple(bodyOf(open), authOf(fuzzer.token)), 300, async ([sent, auth]) => {
      const verdict = F.all(bodyVerdict(bodyView(sent), openVerdict), auth.valid ? 'accept' : 'reject');
      const answer = await check('open', verdict, 'POST', '/api/conversations', {
        ...sent,
        authorization: auth.header,
      });
      if (answer.status < 300) {
        assert.ok([200, 201].includes(answer.status));
        assert.ok(answer.body.conversation.members.some((m: { _id: string }) => m._id === fuzzer.user._id));
      }
    });

    const inbox = await http(server.url, 'GET', '/api/conversations?limit=100', { token: fuzzer.token });
    const mine = inbox.body.conversations.map((c: { _id: string }) => c._id) as string[];
    const everyone = await http(server.url, 'GET', '/api/conversations?limit=100', { token: alice.token });
    const others = (everyone.body.conversations as { _id: string }[])
      .map((c) => c._id)
      .filter((id) => !mine.includes(id));
    const conversation = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...mine) },
      { weight: 2, arbitrary: F.idLike([...mine, ...others, '999999']) },
    );
    const mineVerdict = (decoded: string | undefined): F.Verdict => {
      if (decoded === undefined) return 'either';
      const id = F.idOf(decoded);
      return id !== undefined && mine.includes(id) ? 'accept' : 'reject';
    };
    const routes = fc.constantFrom('', '/messages', '/read');
    const args = fc.tuple(
      segmentOf(conversation),
      routes,
      queryOf(['limit', 'before', 'after']),
      bodyOf(F.junk),
      authOf(fuzzer.token),
    );
    await fuzz(args, 600, async ([segment, route, query, sent, auth]) => {
      const method = route === '/read' ? 'POST' : 'GET';
      const extra =
        route === '/messages' ? (query.text ? 'either' : 'accept') : route === '/read' ? 'either' : 'accept';
      const verdict = F.all(mineVerdict(segment.decoded), extra, auth.valid ? 'accept' : 'reject');
      const path = `/api/conversations/${segment.text}${route}${route === '/messages' ? `?${query.text}` : ''}`;
      const answer = await check(`conversation${route}`, verdict, method, path, {
        ...(method === 'POST' ? sent : {}),
        authorization: auth.header,
      });
      if (answer.status === 200 && route === '') assert.ok(mine.includes(answer.body.conversation._id));
    });

    await fuzz(fc.tuple(queryOf(['limit', 'cursor']), authOf(fuzzer.token)), 300, async ([q, auth]) => {
      const pageVerdict = q.exact && q.view.cursor === undefined ? F.pageVerdict(q.view.limit) : 'either';
      const verdict = F.all(pageVerdict, auth.valid ? 'accept' : 'reject');
      const answer = await check('inbox', verdict, 'GET', `/api/conversations?${q.text}`, {
        authorization: auth.header,
      });
      if (answer.status === 200) {
        for (const c of answer.body.conversations)
          assert.ok(mine.includes(c._id), 'only the caller’s conversations');
      }
    });
  });

  it('stored exactly the accepted writes, and still serves', async () => {
    const directory = await http(server.url, 'GET', '/api/users?limit=1', { token: fuzzer.token });
    assert.equal(
      directory.body.pagination.total,
      model.users.size - 1,
      'users: only the accepted registrations',
    );
    await model.verifyStorage(server.url, [fuzzer, alice, bob]);
    const fresh = await registerUser(server.url);
    const res = await http(server.url, 'POST', '/api/messages', {
      token: fresh.token,
      body: { receiverId: alice.user._id, content: 'still here' },
    });
    assert.equal(res.status, 201);
    assert.deepEqual((await http(server.url, 'GET', '/healthz')).body, { status: 'ok' });
    const total = [...stats.values()].reduce((n, row) => n + row.requests, 0);
    const rows = [...stats].map(([name, row]) => `${name} ${row.accepted}/${row.requests}`).join(', ');
    console.log(`REST fuzz (seed ${F.FUZZ_SEED}): ${total} requests; accepted/sent: ${rows}`);
  });

  // A NUL in the login email or username, or in `q`, must be refused before it reaches the database
  // (PostgreSQL text cannot hold it).
  const nul = fc
    .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
    .map(([a, b]) => `${a}\0${b}`);
  it('refuses a NUL in the login email or username with 4xx', async () => {
    const body = fc.oneof(
      nul.map((email) => ({ email, password: 'x' })),
      nul.map((username) => ({ username, password: 'x' })),
    );
    await fuzz(body, 10, async (v) => {
      const res = await request(server.url, 'POST', '/api/auth/login', {
        contentType: 'application/json',
        body: JSON.stringify(v),
      });
      assert.ok(
        res.status >= 400 && res.status < 500,
        `${JSON.stringify(v)} → ${res.status} ${JSON.stringify(res.body)}`,
      );
    });
  });

  it('refuses q with a NUL: "q must not contain NUL characters"', async () => {
    await fuzz(nul, 10, async (q) => {
      const res = await request(server.url, 'GET', `/api/users?q=${encodeURIComponent(q)}`, {
        authorization: `Bearer ${fuzzer.token}`,
      });
      assert.deepEqual(
        { status: res.status, body: res.body },
        { status: 400, body: { message: 'q must not contain NUL characters' } },
      );
    });
  });

  const registerNamed = (name: string) =>
    request(server.url, 'POST', '/api/auth/register', {
      contentType: 'application/json',
      body: JSON.stringify({
        name,
        username: `uc_${Math.random().toString(36).slice(2, 10)}`,
        email: `${Math.random().toString(36).slice(2, 10)}@example.test`,
        password: 'long enough',
      }),
    });

  it('stores a registered valid-Unicode name exactly as sent (trimmed) and answered', async () => {
    let checked = 0;
    const names = validUnicode.filter((s) => Array.from(s).length <= 90);
    await fuzz(names, 30, async (text) => {
      const name = `n ${text}`;
      const res = await registerNamed(name);
      assert.equal(
        res.status,
        201,
        `valid Unicode name refused: ${JSON.stringify(name)} → ${JSON.stringify(res.body)}`,
      );
      assert.equal(res.body.user.name, name.trim());
      const stored = await http(server.url, 'GET', `/api/users/${res.body.user._id}`, {
        token: fuzzer.token,
      });
      assert.equal(stored.status, 200);
      assert.equal(stored.body.user.name, name.trim());
      model.addUser({ ...res.body, password: 'long enough' });
      checked += 1;
    });
    assert.ok(checked > 0, 'the property ran');
  });

  it('refuses a name with a lone surrogate: "name must be valid Unicode text (no lone surrogates)"', async () => {
    let refused = 0;
    await fuzz(loneSurrogates, 10, async (text) => {
      const res = await registerNamed(`n ${text}`);
      assert.deepEqual(
        { status: res.status, body: res.body },
        { status: 400, body: { message: 'name must be valid Unicode text (no lone surrogates)' } },
      );
      refused += 1;
    });
    assert.ok(refused > 0, 'the property ran');
  });
});
