import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { http, registerUser, type Registered } from '../support/http.js';
import { scaleOutSkip } from '../support/services.js';
import { sleep, type TestClient } from '../support/socket.js';
import {
  directConversation,
  PRESENCE_TTL_MS,
  Tabs,
  WAIT,
  aboutUser,
  byId,
  isIso,
  sentOf,
  startCluster,
  withOutput,
  type Cluster,
  type ClusterNode,
  type Offline,
  type Sent,
  type Typing,
} from './cluster-support.js';

/** A dead process's users go offline within about PRESENCE_TTL_MS + one sweep (TTL / 3); allow more. */
const OFFLINE_WITHIN = 3 * PRESENCE_TTL_MS;

describe('a cluster that loses a process', { skip: await scaleOutSkip() }, () => {
  let cluster: Cluster;
  let p1: ClusterNode;
  let p2: ClusterNode;
  let p3: ClusterNode;
  const tabs = new Tabs();

  before(async () => {
    // Typing outlives the presence TTL here, so Carol's indicator can only end because she went offline.
    cluster = await startCluster(3, { TYPING_TIMEOUT_MS: '30000' });
    [p1, p2, p3] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  });
  afterEach(() => tabs.closeAll());
  after(async () => {
    tabs.closeAll();
    await cluster?.stop();
  });

  const ready = async (node: ClusterNode) => {
    const res = await http(node.url, 'GET', '/readyz');
    assert.deepEqual(
      [res.status, res.body],
      [200, { status: 'ok', checks: { storage: 'ok', redis: 'ok' } }],
      `${node.name} is ready`,
    );
  };

  it('announces the users of a killed process offline once, ends their typing, and keeps serving', () =>
    withOutput(cluster, async () => {
      const alice = await registerUser(p1.url, { name: 'Alice Survivor' });
      const bob = await registerUser(p2.url, { name: 'Bob Survivor' });
      const carol = await registerUser(p3.url, { name: 'Carol Doomed' });
      const watcher = await registerUser(p2.url, { name: 'Failover Watcher' });
      const aliceTabs = [await tabs.connect(p1, alice.token), await tabs.connect(p2, alice.token)];
      const b2 = await tabs.connect(p2, bob.token);
      const watchers = [await tabs.connect(p1, watcher.token), await tabs.connect(p2, watcher.token)];
      const observers: TestClient[] = [...aliceTabs, b2, ...watchers];

      // Carol's only socket is on process 3; she starts typing to Alice.
      const c3 = await tabs.connect(p3, carol.token);
      for (const tab of observers) await tab.next('user_online', aboutUser(carol.user._id), WAIT);
      assert.deepEqual(await c3.ack('typing_start', { receiverId: alice.user._id }), { success: true });
      const conversationId = await directConversation(p1.url, carol.token, alice.user._id);
      const typing = (isTyping: boolean): Typing => ({
        userId: carol.user._id,
        userName: 'Carol Doomed',
        isTyping,
        conversationId,
      });
      for (const tab of aliceTabs)
        assert.deepEqual(await tab.next('typing_indicator', () => true, WAIT), typing(true));

      p3.kill('SIGKILL');
      assert.equal(await p3.exited, 'SIGKILL');
      const deadline = Date.now() + OFFLINE_WITHIN;
      const left = () => Math.max(1, deadline - Date.now());

      // The survivors keep working: a message each way between users on processes 1 and 2.
      await ready(p1);
      await ready(p2);
      const sent = await b2.ack<Sent>('send_message', { receiverId: alice.user._id, content: 'still here?' });
      assert.equal(sent.success, true);
      for (const tab of aliceTabs)
        assert.deepEqual(await tab.next('receive_message', byId(sent.message._id), WAIT), sent.message);
      const res = await http(p1.url, 'POST', '/api/messages', {
        token: alice.token,
        body: { receiverId: bob.user._id, content: 'yes, on process 1' },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const reply = (res.body as Sent).message;
      assert.deepEqual(await b2.next('receive_message', byId(reply._id), WAIT), reply);
      for (const tab of aliceTabs)
        assert.deepEqual(await tab.next('message_sent', sentOf(reply._id), WAIT), res.body);

      // Carol's entries lapse: one survivor's sweep announces her offline to everyone, and her typing ends.
      const offline: Offline[] = [];
      for (const tab of observers)
        offline.push(await tab.next<Offline>('user_offline', aboutUser(carol.user._id), left()));
      const lastSeen = offline[0]!.lastSeen;
      assert.ok(isIso(lastSeen), `lastSeen is an ISO date: ${lastSeen}`);
      for (const payload of offline) assert.deepEqual(payload, { userId: carol.user._id, lastSeen });
      for (const tab of aliceTabs)
        assert.deepEqual(await tab.next('typing_indicator', () => true, left()), typing(false));

      // Several more sweeps on both survivors: still exactly one of each.
      await sleep(1500);
      for (const tab of observers)
        assert.equal(
          tab.all('user_offline').filter(aboutUser(carol.user._id)).length,
          1,
          'user_offline once',
        );
      for (const tab of aliceTabs)
        assert.deepEqual(
          tab.all<Typing>('typing_indicator').map((t) => t.isTyping),
          [true, false],
        );

      // Carol is gone from presence, her lastSeen is the announced one, and the survivors are still ready.
      const fresh = await tabs.connect(p1, bob.token);
      const online = fresh.all<Array<{ userId: string }>>('online_users')[0]!;
      assert.equal(online.some(aboutUser(carol.user._id)), false, 'Carol is not listed online');
      assert.ok(online.some(aboutUser(alice.user._id)), 'Alice is listed online');
      const profile = await http(p2.url, 'GET', `/api/users/${carol.user._id}`, { token: alice.token });
      assert.equal(profile.status, 200);
      assert.equal((profile.body as { user: Registered['user'] }).user.lastSeen, lastSeen);
      await ready(p1);
      await ready(p2);
    }));
});
