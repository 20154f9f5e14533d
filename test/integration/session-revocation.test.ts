import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import type { Parley } from '../../src/app.js';
import { attachParley } from '../../src/library.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, TEST_SECRET, type TestServer } from '../support/server.js';
import { TestClient, connectClient, handshakeOutcome, sleep } from '../support/socket.js';

/** How often the servers here re-check their sockets' users. */
const RECHECK_MS = 200;
/** Generous: a few re-checks, on a busy machine. */
const WITHIN_MS = 3000;
const GONE = 'Authentication error: User not found';

/**
 * Resolves once the server has told `client` its user is gone and closed it (`error`, then
 * `io server disconnect`), with how long that took from now; fails after `WITHIN_MS`.
 */
async function revoked(client: TestClient): Promise<number> {
  const started = Date.now();
  const error = await client.next<{ message: string }>('error', () => true, WITHIN_MS);
  assert.deepEqual(error, { message: GONE });
  assert.equal(await client.closed(WITHIN_MS), 'io server disconnect');
  return Date.now() - started;
}

describe('deleted and disabled users lose their open sockets', () => {
  let server: TestServer;
  const open: TestClient[] = [];
  const connect = async (token: string) => {
    const client = await connectClient(server.url, token);
    open.push(client);
    return client;
  };

  before(async () => {
    server = await startServer({ SESSION_RECHECK_MS: String(RECHECK_MS) });
  });
  after(async () => {
    open.forEach((c) => c.close());
    await server?.close();
  });

  it('disabled in storage: every socket of the user is closed, nobody else’s; tokens and login refused', async () => {
    const [alice, bob] = [await registerUser(server.url), await registerUser(server.url)];
    const [tab1, tab2, bobs] = [
      await connect(alice.token),
      await connect(alice.token),
      await connect(bob.token),
    ];
    // As an administrator would, straight in the database (`parley user disable` does the same).
    await server.sql('UPDATE users SET disabled_at = ? WHERE id = ?', [Date.now(), Number(alice.user._id)]);
    const took = await Promise.all([revoked(tab1), revoked(tab2)]);
    assert.ok(Math.max(...took) < WITHIN_MS);
    await sleep(2 * RECHECK_MS);
    assert.equal(bobs.socket.connected, true, 'other users stay connected');
    assert.equal((await bobs.ack('get_unread_count', {})) !== undefined, true);

    assert.equal(await handshakeOutcome(server.url, alice.token), GONE);
    const me = await http(server.url, 'GET', '/api/auth/me', { token: alice.token });
    assert.deepEqual([me.status, me.body.message], [401, GONE]);
    const login = await http(server.url, 'POST', '/api/auth/login', {
      body: { username: alice.user.username, password: alice.password },
    });
    assert.deepEqual([login.status, login.body.message], [401, 'Invalid credentials']);

    // Enabled again: the same token works, and so does logging in.
    await server.app.services.users.setDisabled(alice.user._id, false, new Date());
    assert.equal(await handshakeOutcome(server.url, alice.token), 'connected');
    const again = await http(server.url, 'POST', '/api/auth/login', {
      body: { username: alice.user.username, password: alice.password },
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
  });

  it('deleted: the user’s sockets are closed, their conversations gone; their partner stays', async () => {
    const [carol, dave] = [await registerUser(server.url), await registerUser(server.url)];
    const [carols, daves] = [await connect(carol.token), await connect(dave.token)];
    const sent = await carols.ack<{ success: boolean }>('send_message', {
      receiverId: dave.user._id,
      content: 'before I go',
    });
    assert.equal(sent.success, true);
    await server.app.services.users.remove(carol.user._id);
    await revoked(carols);
    await sleep(2 * RECHECK_MS);
    assert.equal(daves.socket.connected, true);
    assert.equal(await handshakeOutcome(server.url, carol.token), GONE);
    const history = await http(server.url, 'GET', `/api/messages/${carol.user._id}`, { token: dave.token });
    assert.deepEqual([history.status, history.body.message], [404, 'User not found']);
    const sync = await daves.ack<{ messages: unknown[] }>('sync', {});
    assert.deepEqual(sync.messages, [], 'the conversation went with the user');
  });

  it('deleted straight from the database: the same', async () => {
    const erin: Registered = await registerUser(server.url);
    const erins = await connect(erin.token);
    await server.sql('DELETE FROM users WHERE id = ?', [Number(erin.user._id)]);
    await revoked(erins);
  });

  it('a send to a user deleted behind the cache answers Receiver not found, and stores nothing', async () => {
    const [fay, gus] = [await registerUser(server.url), await registerUser(server.url)];
    const sender = await connect(fay.token);
    // Gus is now in the process's user cache as a known receiver.
    assert.equal(
      (await sender.ack('send_message', { receiverId: gus.user._id, content: 'hi' })).success,
      true,
    );
    const gusId = Number(gus.user._id);
    const theirs = 'SELECT id FROM conversations WHERE direct_low = ? OR direct_high = ?';
    await server.sql(`DELETE FROM messages WHERE conversation_id IN (${theirs})`, [gusId, gusId]);
    await server.sql(`DELETE FROM conversation_members WHERE conversation_id IN (${theirs})`, [gusId, gusId]);
    await server.sql('DELETE FROM conversations WHERE direct_low = ? OR direct_high = ?', [gusId, gusId]);
    await server.sql('DELETE FROM users WHERE id = ?', [Number(gus.user._id)]);
    for (let i = 0; i < 2; i++) {
      const ack = await sender.ack('send_message', { receiverId: gus.user._id, content: `after ${i}` });
      assert.deepEqual(ack, { success: false, message: 'Receiver not found' });
    }
    const left = await server.sql<{ n: number | string }>(
      'SELECT count(*) AS n FROM messages WHERE sender_id = ?',
      [Number(fay.user._id)],
    );
    assert.equal(Number(left[0]?.n), 0);
  });
});

describe('a receiver deleted by another process, never written to before', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.close());

  it('a message or typing to them answers Receiver not found (404), also the second time', async () => {
    const [alice, bob] = [await registerUser(server.url), await registerUser(server.url)];
    // Bob is now in the process's user cache; then he is gone (no conversation of his to remove).
    assert.equal(
      (await http(server.url, 'GET', `/api/users/${bob.user._id}`, { token: alice.token })).status,
      200,
    );
    await server.sql('DELETE FROM users WHERE id = ?', [Number(bob.user._id)]);
    for (let attempt = 0; attempt < 2; attempt++) {
      const sent = await http(server.url, 'POST', '/api/messages', {
        token: alice.token,
        body: { receiverId: bob.user._id, content: 'hello?' },
      });
      assert.deepEqual([sent.status, sent.body], [404, { message: 'Receiver not found' }]);
    }
    const socket = await connectClient(server.url, alice.token);
    try {
      assert.deepEqual(await socket.ack('typing_start', { receiverId: bob.user._id }), {
        success: false,
        message: 'Receiver not found',
      });
    } finally {
      socket.close();
    }
  });
});

describe('library mode: users the host no longer knows lose their open sockets', () => {
  const hostUsers = new Map([
    ['u-ada', { name: 'Ada', username: 'ada' }],
    ['u-ben', { name: 'Ben', username: 'ben' }],
  ]);
  let server: Server;
  let parley: Parley;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'parley-lib-'));
    server = createServer(express());
    parley = await attachParley(server, {
      env: {
        DATA_DIR: dataDir,
        JWT_SECRET: TEST_SECRET,
        LOG_LEVEL: 'silent',
        SESSION_RECHECK_MS: String(RECHECK_MS),
      },
      identity: {
        verifyToken: async (token) => (token.startsWith('token-') ? token.slice('token-'.length) : null),
        findUser: async (id) => hostUsers.get(id),
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await parley?.close();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("re-checks with the host's findUser: a user it removed is disconnected, the others stay", async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const ada = await connectClient(url, 'token-u-ada');
    const ben = await connectClient(url, 'token-u-ben');
    try {
      hostUsers.delete('u-ada');
      await revoked(ada);
      await sleep(2 * RECHECK_MS);
      assert.equal(ben.socket.connected, true);
      assert.equal(await handshakeOutcome(url, 'token-u-ada'), GONE);
    } finally {
      ada.close();
      ben.close();
    }
  });
});
