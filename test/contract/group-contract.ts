import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import type { User } from '../../src/domain/types.js';
import type { MembershipRule } from '../../src/store/group-store.js';
import type { Store } from '../../src/store/store.js';
import { createStoreUser } from './store-fixtures.js';
import type { TwoStores } from './store-sync-contract.js';

const anyone: MembershipRule = () => {};

/**
 * The `GroupStore` contract (src/store/group-store.ts), on two stores over one database (two processes):
 * idempotent and limited adds under races, unread counts exact for members added while messages are
 * stored, the owner's hand-over, rules applied inside the change.
 */
export function groupContract(name: string, open: () => Promise<TwoStores>): void {
  describe(`${name}: groups`, () => {
    let opened: TwoStores;
    let store: Store;
    const users = (n: number) => Promise.all(Array.from({ length: n }, () => createStoreUser(store)));
    const group = (owner: User, members: User[]) =>
      store.groups.create({
        creatorId: owner.id,
        title: 'g',
        memberIds: members.map((m) => m.id),
        now: new Date(),
      });

    before(async () => {
      opened = await open();
      store = opened.stores[0];
    });
    after(() => opened?.close());

    it('adds each user once and never past the limit, however many stores race', async () => {
      const [owner, ...others] = await users(7);
      const id = await group(owner!, []);
      const adds = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) =>
          (opened.stores[i % 2] as Store).groups.addMembers(id, owner!.id, [others[i % 6]!.id], {
            now: new Date(),
            max: 5,
            rule: anyone,
          }),
        ),
      );
      const added = adds.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
      assert.equal(added.length, 4, 'four places, each filled once');
      assert.equal(new Set(added).size, 4);
      for (const r of adds) {
        if (r.status === 'rejected')
          assert.ok(r.reason instanceof AppError && r.reason.code === 'GROUP_FULL');
      }
      const info = await store.conversationInfo(id);
      assert.equal(info?.memberIds.length, 5);
      assert.equal((await store.groups.neutralView(id))?.memberCount, 5);
    });

    it('keeps a new member’s unread count exact while messages are stored by another store', async () => {
      const [owner, sender, late] = await users(3);
      const id = await group(owner!, [sender!]);
      const sends = Array.from({ length: 30 }, (_, i) =>
        (opened.stores[i % 2] as Store).insertMessage({
          senderId: sender!.id,
          receiverId: null,
          conversationId: id,
          content: `m${i}`,
          sentAt: new Date(),
        }),
      );
      await new Promise((r) => setTimeout(r, 2));
      await opened.stores[1].groups.addMembers(id, owner!.id, [late!.id], {
        now: new Date(),
        max: 100,
        rule: anyone,
      });
      await Promise.all(sends);
      const view = await store.conversationFor(id, late!.id);
      const cursor = Number(view?.viewer.lastReadMessageId ?? 0);
      const above = (await store.conversationMessages(id, { limit: 100 })).filter(
        (m) => Number(m.id) > cursor,
      );
      assert.equal(view?.viewer.unreadCount, above.length);
      assert.equal(await store.countUnread(late!.id), above.length);
    });

    it('hands ownership to the longest-standing admin, else member; applies the rule inside the change', async () => {
      const [owner, a, b] = await users(3);
      const id = await group(owner!, [a!, b!]);
      assert.deepEqual(await store.groups.setMemberRole(id, owner!.id, b!.id, 'admin', anyone), [b!.id]);
      const left = await store.groups.removeMember(id, owner!.id, owner!.id, anyone);
      assert.deepEqual(left, { removed: true, newOwnerId: b!.id });
      await assert.rejects(
        store.groups.rename(id, a!.id, 'no', (state) => {
          assert.equal(state.actorRole, 'member');
          throw new AppError('ACCESS_DENIED');
        }),
        (err) => err instanceof AppError && err.code === 'ACCESS_DENIED',
      );
      await assert.rejects(
        store.groups.rename(id, owner!.id, 'x', anyone),
        (err) => err instanceof AppError && err.code === 'CONVERSATION_NOT_FOUND',
      );
      assert.equal((await store.groups.neutralView(id))?.title, 'g');
      assert.deepEqual(await store.groups.groupIdsOf(owner!.id), []);
      assert.deepEqual(await store.groups.groupIdsOf(a!.id), [id]);
    });

    it('reads one member’s membership, seen at once by another store after a removal', async () => {
      const [owner, a, outsider] = await users(3);
      const id = await group(owner!, [a!]);
      const other = opened.stores[1];
      assert.deepEqual(await other.groups.membership(id, a!.id), {
        conversationId: id,
        type: 'group',
        title: 'g',
        role: 'member',
      });
      assert.equal((await store.groups.membership(id, owner!.id))?.role, 'owner');
      assert.equal(await store.groups.membership(id, outsider!.id), undefined);
      assert.equal(await store.groups.membership('999999999', a!.id), undefined);
      assert.equal(await store.groups.membership('not-an-id', a!.id), undefined);
      await store.groups.removeMember(id, owner!.id, a!.id, anyone);
      assert.equal(await other.groups.membership(id, a!.id), undefined);
      const { id: directId } = await store.openDirect(owner!.id, outsider!.id, new Date());
      assert.equal((await other.groups.membership(directId, outsider!.id))?.type, 'direct');
    });
  });
}
