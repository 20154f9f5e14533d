import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { startServer, type TestServer } from '../support/server.js';
import { TestClient, connectClient, sleep } from '../support/socket.js';

type OnlineUser = Registered['user'] & { userId: string };
type Offline = { userId: string; lastSeen: string };

const isIso = (value: unknown) =>
  typeof value === 'string' && !Number.isNaN(Date.parse(value)) && new Date(value).toISOString() === value;

describe('presence', () => {
  let server: TestServer;
  let monitor: Registered;
  /** Connected for the whole file: sees every user_online / user_offline. */
  let watch: TestClient;
  let open: Array<{ client: TestClient; userId: string }> = [];

  before(async () => {
    server = await startServer();
    monitor = await registerUser(server.url, { name: 'Presence Monitor' });
    watch = await connectClient(server.url, monitor.token);
    await watch.next('online_users');
  });
  after(async () => {
    watch.close();
    await server.close();
  });

  /** Connects a tab of `user`, tracked for cleanup. */
  const tab = async (user: Registered) => {
    const client = await connectClient(server.url, user.token);
    open.push({ client, userId: user.user._id });
    return client;
  };
  const onlineOf = (userId: string) => (p: { userId: string }) => p.userId === userId;

  // Every test leaves nobody online but the monitor: close the tabs and wait until each user is offline.
  afterEach(async () => {
    const stillOnline = new Set(open.filter((o) => o.client.socket.connected).map((o) => o.userId));
    for (const { client } of open) client.close();
    open = [];
    for (const userId of stillOnline) await watch.next('user_offline', onlineOf(userId));
  });

  it('sends `connection` then `online_users` with every other online user', async () => {
    const alice = await registerUser(server.url, { name: 'Alice Online' });
    const bob = await registerUser(server.url, { name: 'Bob Online' });
    const carol = await registerUser(server.url, { name: 'Carol Online' });
    await tab(alice);
    await tab(bob);

    const order: string[] = [];
    const client = new TestClient(server.url, { auth: { token: carol.token } });
    open.push({ client, userId: carol.user._id });
    client.socket.onAny((event: string) => order.push(event));
    await client.connected();
    const online = await client.next<OnlineUser[]>('online_users');
    // Other users' presence broadcasts may interleave (through Redis they travel separately), but the
    // socket's own `connection` always comes before its `online_users`.
    assert.deepEqual(
      order.filter((e) => e === 'connection' || e === 'online_users'),
      ['connection', 'online_users'],
    );
    assert.equal(order[0], 'connection');

    assert.ok(Array.isArray(online));
    const expected = [monitor, alice, bob].map((u) => u.user);
    assert.deepEqual(online.map((u) => u.userId).sort(), expected.map((u) => u._id).sort());
    for (const user of expected) {
      const entry = online.find((u) => u.userId === user._id);
      assert.ok(entry, `${user.name} is listed`);
      assert.deepEqual(Object.keys(entry).sort(), [
        '_id',
        'email',
        'lastSeen',
        'name',
        'role',
        'userId',
        'username',
      ]);
      const { lastSeen, ...rest } = entry;
      assert.deepEqual(rest, {
        userId: user._id,
        _id: user._id,
        name: user.name,
        username: user.username,
        email: user.email,
        role: user.role,
      });
      assert.ok(isIso(lastSeen), `lastSeen of ${user.name} is an ISO string: ${lastSeen}`);
    }
  });

  it('lists other users only, also for a second tab of an online user', async () => {
    const dana = await registerUser(server.url, { name: 'Dana Tabs' });
    await tab(dana);
    const second = new TestClient(server.url, { auth: { token: dana.token } });
    open.push({ client: second, userId: dana.user._id });
    const online = await second.next<OnlineUser[]>('online_users');
    assert.deepEqual(
      online.map((u) => u.userId),
      [monitor.user._id],
    );
  });

  it('sends user_online to others on the first tab only, never to the user themself', async () => {
    const erin = await registerUser(server.url, { name: 'Erin First' });
    const frank = await registerUser(server.url, { name: 'Frank Other' });
    const frankTab = await tab(frank);
    await watch.next('user_online', onlineOf(frank.user._id));

    const erin1 = await tab(erin);
    const payload = await frankTab.next('user_online', onlineOf(erin.user._id));
    assert.deepEqual(payload, { userId: erin.user._id, name: 'Erin First', username: erin.user.username });
    assert.deepEqual(await watch.next('user_online', onlineOf(erin.user._id)), payload);

    // A second tab: `online_users` proves the server handled the connection, then nothing more arrives.
    const erin2 = await tab(erin);
    await erin2.next('online_users');
    await sleep(250);
    assert.equal(frankTab.all('user_online').filter(onlineOf(erin.user._id)).length, 1);
    assert.equal(watch.all('user_online').filter(onlineOf(erin.user._id)).length, 1);
    for (const own of [erin1, erin2]) {
      assert.equal(own.all('user_online').filter(onlineOf(erin.user._id)).length, 0);
    }
    // Frank was online before Erin came: Erin's tabs get no user_online for him either.
    assert.equal(erin1.all('user_online').filter(onlineOf(frank.user._id)).length, 0);
  });

  it('sends user_offline once, when the last tab closes, with the stored lastSeen', async () => {
    const gina = await registerUser(server.url, { name: 'Gina Leaves' });
    const hank = await registerUser(server.url, { name: 'Hank Stays' });
    const hankTab = await tab(hank);
    const gina1 = await tab(gina);
    const gina2 = await tab(gina);
    await hankTab.next('online_users');
    await watch.next('user_online', onlineOf(gina.user._id));

    gina1.close();
    await sleep(300);
    assert.equal(hankTab.all('user_offline').filter(onlineOf(gina.user._id)).length, 0);
    assert.equal(watch.all('user_offline').filter(onlineOf(gina.user._id)).length, 0);

    gina2.close();
    const offline = await hankTab.next<Offline>('user_offline', onlineOf(gina.user._id));
    assert.deepEqual(Object.keys(offline).sort(), ['lastSeen', 'userId']);
    assert.equal(offline.userId, gina.user._id);
    assert.ok(isIso(offline.lastSeen), `lastSeen is an ISO string: ${offline.lastSeen}`);
    assert.deepEqual(await watch.next('user_offline', onlineOf(gina.user._id)), offline);

    const stored = await http(server.url, 'GET', `/api/users/${gina.user._id}`, { token: hank.token });
    assert.equal(stored.status, 200);
    assert.equal(stored.body.user.lastSeen, offline.lastSeen);

    await sleep(250);
    assert.equal(hankTab.all('user_offline').filter(onlineOf(gina.user._id)).length, 1);
    assert.equal(watch.all('user_offline').filter(onlineOf(gina.user._id)).length, 1);

    // Gone from the list a newcomer gets.
    const late = await tab(await registerUser(server.url));
    const online = await late.next<OnlineUser[]>('online_users');
    assert.equal(
      online.some((u) => u.userId === gina.user._id),
      false,
    );
    assert.equal(
      online.some((u) => u.userId === hank.user._id),
      true,
    );
  });

  it('sends user_online again when a user comes back after going offline', async () => {
    const ivan = await registerUser(server.url, { name: 'Ivan Returns' });
    const first = await tab(ivan);
    await watch.next('user_online', onlineOf(ivan.user._id));
    first.close();
    const offline = await watch.next<Offline>('user_offline', onlineOf(ivan.user._id));

    await tab(ivan);
    const again = await watch.next('user_online', onlineOf(ivan.user._id));
    assert.deepEqual(again, { userId: ivan.user._id, name: 'Ivan Returns', username: ivan.user.username });

    // Online again: listed, with a lastSeen no older than the one of going offline.
    const peer = await tab(await registerUser(server.url));
    const online = await peer.next<OnlineUser[]>('online_users');
    const entry = online.find((u) => u.userId === ivan.user._id);
    assert.ok(entry, 'listed again');
    assert.ok(Date.parse(entry.lastSeen as string) >= Date.parse(offline.lastSeen));
  });
});
