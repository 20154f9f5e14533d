import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';
import type { OpenedStore } from './store-contract.js';
import { createStoreUser, uniqueTag } from './store-fixtures.js';

/**
 * `Store.setUserDisabled` and `Store.deleteUser` (what `parley user disable|enable|delete` do), run on
 * every implementation. `open` returns a fresh, migrated store.
 */
export function storeAccountsContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`${name}: disabling and deleting users`, () => {
    let opened: OpenedStore;
    let store: Store;
    const user = () => createStoreUser(store);
    const send = (from: User, to: User, content: string) =>
      store.insertMessage({ senderId: from.id, receiverId: to.id, content, sentAt: new Date() });

    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(() => opened?.close());

    it('a disabled user is still found everywhere, with disabledAt; enabling clears it', async () => {
      const ada = await user();
      const at = new Date(Date.UTC(2025, 4, 6, 7, 8, 9, 10));
      const disabled = await store.setUserDisabled(ada.id, at);
      assert.deepEqual(disabled, { ...ada, disabledAt: at });
      assert.deepEqual(await store.findUserById(ada.id), { ...ada, disabledAt: at });
      assert.deepEqual(await store.findUsersByIds([ada.id]), [{ ...ada, disabledAt: at }]);
      const credentials = await store.findCredentials({ username: ada.username });
      assert.deepEqual(credentials?.user.disabledAt, at);
      // Disabling again keeps the first time.
      assert.deepEqual((await store.setUserDisabled(ada.id, new Date()))?.disabledAt, at);
      const enabled = await store.setUserDisabled(ada.id, null);
      assert.deepEqual(enabled, ada);
      assert.equal('disabledAt' in (enabled ?? {}), false);
      assert.deepEqual(await store.findUserById(ada.id), ada);
    });

    it('setUserDisabled resolves undefined for unknown ids, and changes nothing', async () => {
      for (const id of ['999999999', 'abc', '', '0', '-1'])
        assert.equal(await store.setUserDisabled(id, new Date()), undefined, id);
    });

    it('deleteUser removes the user with their messages and contacts, and nobody else’s', async () => {
      const [ada, ben, cy] = [await user(), await user(), await user()];
      await send(ada, ben, 'ada to ben');
      await send(ben, ada, 'ben to ada');
      await send(cy, ada, 'cy to ada');
      const kept = await send(ben, cy, 'ben to cy');
      assert.equal(await store.deleteUser(ada.id), true);
      assert.equal(await store.findUserById(ada.id), undefined);
      assert.deepEqual(await store.findUsersByIds([ada.id, ben.id]), [ben]);
      assert.equal(await store.findCredentials({ email: ada.email }), undefined);
      assert.deepEqual(await store.conversation(ben.id, ada.id, { offset: 0, limit: 10 }), []);
      assert.deepEqual(await store.contactsOf(ben.id), [cy.id]);
      assert.deepEqual(await store.contactsOf(ada.id), []);
      assert.equal(await store.countUnread(ben.id), 0);
      assert.deepEqual(
        (await store.messagesSince(cy.id, '0', 10)).map((m) => m.content),
        ['ben to cy'],
      );
      assert.deepEqual(await store.findMessage(kept.id), kept);
      assert.equal(await store.deleteUser(ada.id), false, 'already gone');
      // The username and email are free again.
      const again = await store.createUser({
        name: ada.name,
        username: ada.username,
        email: ada.email,
        role: 'customer',
        passwordHash: '$hash$',
        createdAt: new Date(),
      });
      assert.notEqual(again.id, ada.id);
    });

    it('deleteUser in groups: counters stop counting their messages, one member less, ownership passes on', async () => {
      const [ada, ben, cy] = [await user(), await user(), await user()];
      const id = await store.groups.create({
        creatorId: ada.id,
        title: 'g',
        memberIds: [ben.id, cy.id],
        now: new Date(),
      });
      const toGroup = (from: User, content: string) =>
        store.insertMessage({
          senderId: from.id,
          receiverId: null,
          conversationId: id,
          content,
          sentAt: new Date(),
        });
      await toGroup(ada, 'one');
      const two = await toGroup(cy, 'two');
      await store.markConversationRead(id, cy.id, two.id, new Date());
      await toGroup(ada, 'three');
      assert.equal(await store.countUnread(ben.id), 3);
      assert.equal(await store.countUnread(cy.id), 1);

      assert.equal(await store.deleteUser(ada.id), true);
      assert.equal(await store.countUnread(ben.id), 1);
      assert.equal(await store.countUnread(cy.id), 0);
      const seen = await store.conversationFor(id, ben.id);
      assert.equal(seen?.memberCount, 2);
      assert.equal(seen?.lastMessage?.id, two.id);
      assert.equal(seen?.viewer.unreadCount, 1);
      assert.deepEqual(
        seen?.members.map((m) => [m.userId, m.role]),
        [
          [ben.id, 'owner'],
          [cy.id, 'member'],
        ],
      );
      assert.deepEqual(
        (await store.messagesSince(cy.id, '0', 10)).map((m) => m.content),
        ['two'],
      );
    });

    it('deleteUser resolves false for unknown ids', async () => {
      for (const id of ['999999999', 'abc', '', '0']) assert.equal(await store.deleteUser(id), false, id);
    });

    it("a host application's user carries its external id, and its disabled state", async () => {
      const t = uniqueTag('a');
      const host = {
        externalId: `ext-${t}`,
        name: 'Host',
        username: `h_${t}`,
        email: `${t}@host.test`,
        role: 'customer',
      };
      const first = await store.upsertExternalUser(host, new Date());
      assert.equal(first.externalId, host.externalId);
      const at = new Date(Date.UTC(2025, 0, 1));
      await store.setUserDisabled(first.id, at);
      const again = await store.upsertExternalUser({ ...host, name: 'Host Renamed' }, new Date());
      assert.deepEqual(again, { ...first, name: 'Host Renamed', disabledAt: at });
      assert.deepEqual(await store.findUsersByIds([first.id]), [again]);
    });
  });
}
