import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { WireMessage } from '../../src/protocol/outputs.js';
import { http, registerUser, type Registered } from '../support/http.js';
import { scaleOutSkip } from '../support/services.js';
import { sleep, type TestClient } from '../support/socket.js';
import { Tabs, WAIT, startCluster, withOutput, type Cluster, type ClusterNode } from './cluster-support.js';

/** How long to wait, after a later event proves the work was done, before asserting that nothing came. */
const QUIET = 300;

const nothing = (tab: TestClient, event: string, match: (p: any) => boolean = () => true) =>
  assert.deepEqual(tab.untaken(event).filter(match), [], `unexpected ${event}`);

// Both Redis adapters: the sharded one (default) and the classic one apply a membership change at
// different moments on the process that makes it.
const skip = await scaleOutSkip();
for (const adapter of ['sharded', 'classic'] as const)
  describe(`groups on a cluster of three Parley processes (${adapter} Redis adapter)`, { skip }, () => {
    let cluster: Cluster;
    let p1: ClusterNode;
    let p2: ClusterNode;
    let p3: ClusterNode;
    const tabs = new Tabs();
    const test = (name: string, fn: () => Promise<void>) => it(name, () => withOutput(cluster, fn));
    const rest = (node: ClusterNode, user: Registered, method: string, path: string, body?: unknown) =>
      http(node.url, method, path, { token: user.token, ...(body === undefined ? {} : { body }) });

    before(async () => {
      cluster = await startCluster(3, { REDIS_ADAPTER: adapter });
      [p1, p2, p3] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    });
    afterEach(() => tabs.closeAll());
    after(async () => {
      tabs.closeAll();
      await cluster?.stop();
    });

    test('a group message reaches every member’s tabs on every process, once; typing and cursors too', async () => {
      const [owner, ann, ben] = await Promise.all([1, 2, 3].map(() => registerUser(p1.url)));
      const created = await rest(p1, owner!, 'POST', '/api/conversations', {
        type: 'group',
        title: 'Cluster',
        memberIds: [ann!.user._id, ben!.user._id],
      });
      const id = created.body.conversation._id as string;
      const o = await tabs.connect(p1, owner!.token);
      const a2 = await tabs.connect(p2, ann!.token);
      const a3 = await tabs.connect(p3, ann!.token);
      const b3 = await tabs.connect(p3, ben!.token);
      const sent = await o.ack('send_message', { conversationId: id, content: 'to all' });
      for (const tab of [a2, a3, b3]) {
        assert.equal((await tab.next<WireMessage>('receive_message', () => true, WAIT)).content, 'to all');
      }
      await b3.ack('typing_start', { conversationId: id });
      for (const tab of [o, a2, a3])
        assert.equal((await tab.next('typing_indicator', () => true, WAIT)).isTyping, true);
      await a2.ack('mark_conversation_read', { conversationId: id });
      for (const tab of [o, b3]) {
        const read = await tab.next('conversation_read', () => true, WAIT);
        assert.deepEqual([read.userId, read.lastReadMessageId], [ann!.user._id, sent.message._id]);
      }
      await sleep(QUIET);
      for (const tab of [a2, a3, b3]) assert.equal(tab.all('receive_message').length, 1);
      nothing(o, 'receive_message');
      nothing(b3, 'typing_indicator');
    });

    test('membership takes effect on every process: added tabs get the next message, removed ones nothing after being told', async () => {
      const [owner, ann, cy] = await Promise.all([1, 2, 3].map(() => registerUser(p2.url)));
      const created = await rest(p2, owner!, 'POST', '/api/conversations', {
        type: 'group',
        title: 'Moves',
        memberIds: [ann!.user._id],
      });
      const id = created.body.conversation._id as string;
      const o = await tabs.connect(p1, owner!.token);
      const c2 = await tabs.connect(p2, cy!.token);
      const c3 = await tabs.connect(p3, cy!.token);
      const a3 = await tabs.connect(p3, ann!.token);

      // Added on process 2 (a REST call), told on every process, then the next message from process 1.
      const added = await rest(p2, owner!, 'POST', `/api/conversations/${id}/members`, {
        userIds: [cy!.user._id],
      });
      assert.equal(added.status, 200);
      for (const tab of [c2, c3]) {
        assert.equal((await tab.next('conversation_updated', () => true, WAIT)).change.type, 'members_added');
      }
      await o.ack('send_message', { conversationId: id, content: 'hello cy' });
      for (const tab of [c2, c3, a3]) {
        assert.equal((await tab.next<WireMessage>('receive_message', () => true, WAIT)).content, 'hello cy');
      }

      // Removed on process 3 (by the owner's REST call there): right after the answer, a message from
      // process 1, typing from process 2 and a cursor from process 3 reach the others only.
      const removed = await rest(p3, owner!, 'DELETE', `/api/conversations/${id}/members/${cy!.user._id}`);
      assert.equal(removed.status, 200);
      const a2 = await tabs.connect(p2, ann!.token);
      await o.ack('send_message', { conversationId: id, content: 'after cy' });
      await a2.ack('typing_start', { conversationId: id });
      await a3.ack('mark_conversation_read', { conversationId: id });
      assert.equal(
        (await a3.next<WireMessage>('receive_message', (m) => m.content === 'after cy', WAIT)).content,
        'after cy',
      );
      await o.next('typing_indicator', () => true, WAIT);
      await o.next('conversation_read', () => true, WAIT);
      await sleep(QUIET);
      for (const tab of [c2, c3]) {
        assert.equal(
          (await tab.next('conversation_updated', () => true, WAIT)).change.type,
          'member_removed',
        );
        nothing(tab, 'receive_message');
        nothing(tab, 'typing_indicator');
        nothing(tab, 'conversation_read');
        nothing(tab, 'conversation_updated');
      }
      const refused = await c2.ack('get_conversation', { conversationId: id });
      assert.deepEqual(refused, { success: false, message: 'Conversation not found' });
    });

    test('two admins on two processes adding the same member at once make one membership', async () => {
      const [owner, ann, ben, cy] = await Promise.all([1, 2, 3, 4].map(() => registerUser(p1.url)));
      const created = await rest(p1, owner!, 'POST', '/api/conversations', {
        type: 'group',
        title: 'Race',
        memberIds: [ann!.user._id, ben!.user._id],
      });
      const id = created.body.conversation._id as string;
      for (const admin of [ann!, ben!]) {
        await rest(p1, owner!, 'PATCH', `/api/conversations/${id}/members/${admin.user._id}`, {
          role: 'admin',
        });
      }
      const results = await Promise.all(
        [p1, p2, p3, p1, p2, p3].map((node, i) =>
          rest(node, i % 2 ? ann! : ben!, 'POST', `/api/conversations/${id}/members`, {
            userIds: [cy!.user._id],
          }),
        ),
      );
      assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
      const view = await rest(p3, cy!, 'GET', `/api/conversations/${id}`);
      assert.equal(view.body.conversation.memberCount, 4);
      assert.equal(view.body.conversation.members.length, 4);
    });
  });
