import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';
import { createStoreUser } from './store-fixtures.js';

/** Two stores on one database, as two Parley processes would have. */
export interface TwoStores {
  stores: [Store, Store];
  close(): Promise<void>;
}

/** `Store.messagesSince`: what a reconnecting client missed, with no gap even while others write. */
export function storeSyncContract(name: string, open: () => Promise<TwoStores>): void {
  describe(`${name}: messagesSince`, () => {
    let opened: TwoStores;
    let store: Store;
    const send = (from: User, to: User, content: string, on = store) =>
      on.insertMessage({ senderId: from.id, receiverId: to.id, content, sentAt: new Date() });

    before(async () => {
      opened = await open();
      store = opened.stores[0];
    });
    after(() => opened?.close());

    it("returns the user's messages in every conversation, both directions, lowest id first", async () => {
      const [ann, ben, cat, dan] = [
        await createStoreUser(store),
        await createStoreUser(store),
        await createStoreUser(store),
        await createStoreUser(store),
      ];
      const m1 = await send(ann, ben, 'one');
      await send(cat, dan, 'not ann');
      const m2 = await send(cat, ann, 'two');
      const m3 = await send(ann, cat, 'three');
      const m4 = await send(ben, ann, 'four');

      const all = await store.messagesSince(ann.id, '0', 10);
      assert.deepEqual(
        all.map((m) => [m.id, m.content, m.senderId, m.receiverId]),
        [
          [m1.id, 'one', ann.id, ben.id],
          [m2.id, 'two', cat.id, ann.id],
          [m3.id, 'three', ann.id, cat.id],
          [m4.id, 'four', ben.id, ann.id],
        ],
      );
      assert.deepEqual(
        (await store.messagesSince(ann.id, m2.id, 10)).map((m) => m.id),
        [m3.id, m4.id],
      );
      assert.deepEqual(
        (await store.messagesSince(ann.id, m1.id, 2)).map((m) => m.id),
        [m2.id, m3.id],
      );
      assert.deepEqual(await store.messagesSince(ann.id, m4.id, 10), []);
      assert.deepEqual(await store.messagesSince('not-an-id', '0', 10), []);
      assert.deepEqual(await store.messagesSince(ann.id, 'nope', 10), []);
    });

    it('never shows a reader a new message below an id it has already seen (two writers)', async () => {
      const senders = await Promise.all([
        createStoreUser(store),
        createStoreUser(store),
        createStoreUser(store),
      ]);
      const reader = await createStoreUser(store);
      const total = 600;
      let written = 0;
      // Both stores write concurrently, in bursts, as two processes' batchers would.
      const writing = (async () => {
        for (let round = 0; written < total; round++) {
          const burst = [];
          for (let i = 0; i < 20 && written < total; i++, written++) {
            const on = opened.stores[written % 2];
            burst.push(send(senders[written % senders.length] as User, reader, `m${written}`, on));
          }
          await Promise.all(burst);
        }
      })();
      const seen = new Set<string>();
      let cursor = '0';
      const poll = async () => {
        for (const m of await store.messagesSince(reader.id, cursor, 1000)) {
          assert.ok(!seen.has(m.id), `message ${m.id} returned twice`);
          seen.add(m.id);
          cursor = m.id;
        }
      };
      let done = false;
      void writing.finally(() => (done = true));
      // Yield a turn between polls: a synchronous driver (SQLite) would otherwise starve the writers.
      while (!done) {
        await poll();
        await new Promise((resolve) => setImmediate(resolve));
      }
      await writing;
      await poll();
      const stored = await store.messagesSince(reader.id, '0', total + 10);
      assert.equal(stored.length, total);
      const missed = stored.filter((m) => !seen.has(m.id)).map((m) => m.id);
      assert.deepEqual(missed, [], 'a reader following the highest id it saw missed these');
    });
  });
}
