import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertNoHandleLeft, liveHandles, within } from './lifecycle.js';
import type { Presence } from '../../src/presence/presence.js';

export interface OpenedPresence {
  presence: Presence;
  close(): Promise<void>;
}

const count = (results: boolean[]) => results.filter(Boolean).length;

/**
 * The `Presence` contract (src/presence/presence.ts), written once and run on every implementation.
 * Each test uses fresh user ids, so implementations may share state between tests of one suite.
 */
export function presenceContract(name: string, open: () => Promise<OpenedPresence>): void {
  describe(`Presence contract: ${name}`, () => {
    let opened: OpenedPresence;
    let presence: Presence;

    before(async () => {
      opened = await open();
      presence = opened.presence;
    });
    after(() => opened?.close());

    it('the first connection brings a user online, a second one does not', async () => {
      const user = randomUUID();
      assert.equal(await presence.isOnline(user), false);
      assert.equal(await presence.connect(user, 'c1'), true);
      assert.equal(await presence.isOnline(user), true);
      assert.equal(await presence.connect(user, 'c2'), false);
      assert.equal(await presence.isOnline(user), true);
    });

    it('only the disconnect of the last connection takes a user offline', async () => {
      const user = randomUUID();
      await presence.connect(user, 'c1');
      await presence.connect(user, 'c2');
      assert.equal(await presence.disconnect(user, 'c1'), false);
      assert.equal(await presence.isOnline(user), true);
      assert.equal(await presence.disconnect(user, 'c2'), true);
      assert.equal(await presence.isOnline(user), false);
    });

    it('a user can come online again after going offline', async () => {
      const user = randomUUID();
      assert.equal(await presence.connect(user, 'c1'), true);
      assert.equal(await presence.disconnect(user, 'c1'), true);
      assert.equal(await presence.connect(user, 'c2'), true);
      assert.equal(await presence.disconnect(user, 'c2'), true);
    });

    it('disconnecting an unknown connection changes nothing and resolves false', async () => {
      const user = randomUUID();
      assert.equal(await presence.disconnect(user, 'never-connected'), false);
      assert.equal(await presence.isOnline(user), false);
      await presence.connect(user, 'c1');
      assert.equal(await presence.disconnect(user, 'c-other'), false);
      assert.equal(await presence.isOnline(user), true);
      assert.equal(await presence.disconnect(user, 'c1'), true);
      assert.equal(await presence.disconnect(user, 'c1'), false, 'a second disconnect is unknown');
    });

    it('connecting the same connection id again changes nothing and resolves false', async () => {
      const user = randomUUID();
      assert.equal(await presence.connect(user, 'c1'), true);
      assert.equal(await presence.connect(user, 'c1'), false);
      // Still one connection: its single disconnect takes the user offline.
      assert.equal(await presence.disconnect(user, 'c1'), true);
      assert.equal(await presence.isOnline(user), false);
    });

    it('connection ids of different users are independent', async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      assert.equal(await presence.connect(a, 'same-id'), true);
      assert.equal(await presence.connect(b, 'same-id'), true);
      assert.equal(await presence.disconnect(a, 'same-id'), true);
      assert.equal(await presence.isOnline(b), true);
      assert.equal(await presence.disconnect(b, 'same-id'), true);
    });

    it('onlineUserIds lists each online user once', async () => {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      await presence.connect(a, 'a1');
      await presence.connect(a, 'a2');
      await presence.connect(a, 'a3');
      await presence.connect(b, 'b1');
      await presence.connect(c, 'c1');
      await presence.disconnect(c, 'c1');

      const online = await presence.onlineUserIds();
      assert.equal(new Set(online).size, online.length, 'no user may be listed twice');
      assert.equal(online.filter((id) => id === a).length, 1);
      assert.equal(online.filter((id) => id === b).length, 1);
      assert.equal(online.includes(c), false);

      await presence.disconnect(b, 'b1');
      const remaining = await presence.onlineUserIds();
      assert.equal(remaining.includes(b), false);
      assert.equal(remaining.includes(a), true);
      for (const id of ['a1', 'a2', 'a3']) await presence.disconnect(a, id);
      assert.equal((await presence.onlineUserIds()).includes(a), false);
    });

    it('onlineAmong keeps the online users among those asked about, in the order given', async () => {
      const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
      await presence.connect(a, 'a1');
      await presence.connect(c, 'c1');
      await presence.connect(d, 'd1');
      await presence.disconnect(d, 'd1');
      assert.deepEqual(await presence.onlineAmong([d, c, b, a]), [c, a]);
      assert.deepEqual(await presence.onlineAmong([]), []);
      const many = Array.from({ length: 2500 }, () => randomUUID());
      assert.deepEqual(await presence.onlineAmong([...many, a]), [a]);
      await presence.disconnect(a, 'a1');
      await presence.disconnect(c, 'c1');
    });

    it('concurrent connects and disconnects of one user report exactly one transition each', async () => {
      const user = randomUUID();
      const ids = Array.from({ length: 50 }, (_, i) => `conn-${i}`);
      const connects = await Promise.all(ids.map((id) => presence.connect(user, id)));
      assert.equal(count(connects), 1, 'exactly one connect brings the user online');
      assert.equal(await presence.isOnline(user), true);
      const disconnects = await Promise.all(ids.map((id) => presence.disconnect(user, id)));
      assert.equal(count(disconnects), 1, 'exactly one disconnect takes the user offline');
      assert.equal(await presence.isOnline(user), false);
    });

    it('churn under a held connection reports no transition until the last one closes', async () => {
      const user = randomUUID();
      assert.equal(await presence.connect(user, 'held'), true);
      const churn = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const connected = await presence.connect(user, `tab-${i}`);
          const disconnected = await presence.disconnect(user, `tab-${i}`);
          return connected || disconnected;
        }),
      );
      assert.equal(count(churn), 0);
      assert.equal(await presence.isOnline(user), true);
      assert.equal(await presence.disconnect(user, 'held'), true);
    });

    it('concurrent connects for many users each report their own transition', async () => {
      const users = Array.from({ length: 20 }, () => randomUUID());
      const results = await Promise.all(
        users.flatMap((user) => [presence.connect(user, 'x'), presence.connect(user, 'y')]),
      );
      assert.equal(count(results), users.length);
      const offline = await Promise.all(
        users.flatMap((user) => [presence.disconnect(user, 'x'), presence.disconnect(user, 'y')]),
      );
      assert.equal(count(offline), users.length);
      const online = new Set(await presence.onlineUserIds());
      assert.equal(
        users.some((u) => online.has(u)),
        false,
      );
    });

    it('close settles promptly, twice, and leaves nothing holding the process open', async () => {
      const baseline = liveHandles();
      const other = await open();
      await other.presence.connect(randomUUID(), 'c1');
      await within(other.presence.close(), 2000, 'close');
      await within(other.presence.close(), 2000, 'a second close');
      await other.close();
      await assertNoHandleLeft(baseline);
    });
  });
}
