import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { AppError } from '../../src/domain/errors.js';
import type { User } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';
import { createStoreUser } from './store-fixtures.js';
import type { TwoStores } from './store-sync-contract.js';

/**
 * The conversation side of the `Store` contract: direct conversations once per pair (also when two
 * stores, as two processes, race), the inbox, cursor paging, and unread counts that never disagree with
 * the read flags and cursors (a model-based property test).
 */
export function conversationContract(name: string, open: () => Promise<TwoStores>): void {
  describe(`${name}: conversations`, () => {
    let opened: TwoStores;
    let store: Store;
    const user = () => createStoreUser(store);
    const send = (from: User, to: User, content: string, sentAt = new Date()) =>
      store.insertMessage({ senderId: from.id, receiverId: to.id, content, sentAt });

    before(async () => {
      opened = await open();
      store = opened.stores[0];
    });
    after(() => opened?.close());

    it('opens one direct conversation per pair, whatever the order, also when two stores race', async () => {
      const [a, b] = [await user(), await user()];
      const opens = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          (opened.stores[i % 2] as Store).openDirect(i % 3 ? a.id : b.id, i % 3 ? b.id : a.id, new Date()),
        ),
      );
      assert.equal(new Set(opens.map((o) => o.id)).size, 1, 'one conversation');
      assert.equal(opens.filter((o) => o.created).length, 1, 'created once');
      const view = await store.conversationFor(opens[0]!.id, a.id);
      assert.equal(view?.type, 'direct');
      assert.equal(view?.title, null);
      assert.equal(view?.memberCount, 2);
      assert.deepEqual(view?.members.map((m) => m.userId).sort(), [a.id, b.id].sort());
      assert.equal(view?.lastMessage, null);
      // A message between them goes to that conversation.
      const m = await send(b, a, 'hello');
      assert.equal(m.conversationId, opens[0]!.id);
      assert.equal(await store.findDirect(b.id, a.id), opens[0]!.id);
    });

    it('pages a conversation’s members in joining order', async () => {
      const [a, b] = [await user(), await user()];
      const { id } = await store.openDirect(b.id, a.id, new Date());
      const first = await store.conversationMembers(id, { limit: 1 });
      assert.equal(first.length, 1);
      const last = first[0]!;
      const second = await store.conversationMembers(id, {
        limit: 1,
        after: { joinedAt: last.joinedAt.getTime(), userId: last.userId },
      });
      assert.deepEqual([...first, ...second].map((m) => m.userId).sort(), [a.id, b.id].sort());
      assert.deepEqual(
        [...first, ...second].map((m) => [m.name, m.role]),
        [...first, ...second].map((m) => [m.userId === a.id ? a.name : b.name, 'member']),
      );
      const third = await store.conversationMembers(id, {
        limit: 1,
        after: { joinedAt: second[0]!.joinedAt.getTime(), userId: second[0]!.userId },
      });
      assert.deepEqual(third, []);
      assert.deepEqual(await store.conversationMembers('nope', { limit: 5 }), []);
    });

    it('refuses to open a conversation with an unknown user, and creates nothing', async () => {
      const a = await user();
      await assert.rejects(store.openDirect(a.id, '999999999', new Date()), (err: unknown) => {
        assert.ok(err instanceof AppError);
        assert.equal(err.code, 'USER_NOT_FOUND');
        return true;
      });
      assert.deepEqual(await store.inbox(a.id, { limit: 10 }), []);
    });

    it('shows a conversation only to its members', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const { id } = await store.openDirect(a.id, b.id, new Date());
      assert.ok(await store.conversationFor(id, b.id));
      assert.equal(await store.conversationFor(id, c.id), undefined);
      assert.equal(await store.conversationFor('nope', a.id), undefined);
      assert.equal(await store.markConversationRead(id, c.id, undefined, new Date()), undefined);
    });

    it('lists the inbox newest activity first, each with its last message, paged by position', async () => {
      const me = await user();
      const others = [await user(), await user(), await user(), await user(), await user()];
      const t0 = Date.UTC(2025, 0, 1);
      // Activity order: others[4] newest … others[0] oldest; others[2] gets a late reply.
      for (const [i, other] of others.entries()) await send(other, me, `first ${i}`, new Date(t0 + i * 1000));
      await send(me, others[2]!, 'late reply', new Date(t0 + 10_000));
      const all = await store.inbox(me.id, { limit: 10 });
      assert.deepEqual(
        all.map((v) => v.members.find((m) => m.userId !== me.id)?.userId),
        [others[2], others[4], others[3], others[1], others[0]].map((u) => u!.id),
      );
      assert.equal(all[0]?.lastMessage?.content, 'late reply');
      assert.equal(all[1]?.lastMessage?.content, 'first 4');
      assert.deepEqual(
        all.map((v) => v.viewer.unreadCount),
        [1, 1, 1, 1, 1],
      );
      // Keyset pages of two cover the same list, without overlap.
      const paged = [];
      let afterPos;
      for (;;) {
        const page = await store.inbox(me.id, { limit: 2, ...(afterPos ? { after: afterPos } : {}) });
        paged.push(...page);
        const last = page.at(-1);
        if (page.length < 2 || !last) break;
        afterPos = { lastActivityAt: last.lastActivityAt.getTime(), conversationId: last.id };
      }
      assert.deepEqual(
        paged.map((v) => v.id),
        all.map((v) => v.id),
      );
    });

    it('pages a conversation by message id, before and after', async () => {
      const [a, b] = [await user(), await user()];
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await send(i % 2 ? a : b, i % 2 ? b : a, `p${i}`)).id);
      const conversationId = (await store.findDirect(a.id, b.id)) as string;
      const newest = await store.conversationMessages(conversationId, { limit: 3 });
      assert.deepEqual(
        newest.map((m) => m.id),
        [ids[6], ids[5], ids[4]],
      );
      const before = await store.conversationMessages(conversationId, { before: ids[4], limit: 3 });
      assert.deepEqual(
        before.map((m) => m.id),
        [ids[3], ids[2], ids[1]],
      );
      const after = await store.conversationMessages(conversationId, { after: ids[1], limit: 3 });
      assert.deepEqual(
        after.map((m) => m.id),
        [ids[2], ids[3], ids[4]],
      );
      assert.deepEqual(await store.conversationMessages(conversationId, { after: ids[6], limit: 3 }), []);
    });

    it('moves a read cursor only forward, and refuses a message of another conversation', async () => {
      const [a, b, c] = [await user(), await user(), await user()];
      const m1 = await send(a, b, 'one');
      const m2 = await send(a, b, 'two');
      const elsewhere = await send(a, c, 'elsewhere');
      const id = m1.conversationId;
      const moved = await store.markConversationRead(id, b.id, m2.id, new Date());
      assert.deepEqual(
        [moved?.moved, moved?.state.lastReadMessageId, moved?.state.unreadCount],
        [true, m2.id, 0],
      );
      const back = await store.markConversationRead(id, b.id, m1.id, new Date());
      assert.deepEqual([back?.moved, back?.state.lastReadMessageId], [false, m2.id]);
      await assert.rejects(store.markConversationRead(id, b.id, elsewhere.id, new Date()), {
        code: 'MESSAGE_NOT_FOUND',
      });
      assert.ok((await store.findMessage(m1.id))?.readAt, 'covered messages carry their read flag');
    });

    it('single reads and cursor moves of one member at once all succeed (no deadlock), counts exact', async () => {
      const [a, b] = [await user(), await user()];
      for (let round = 0; round < 8; round++) {
        const sent = [];
        for (let i = 0; i < 15; i++) sent.push(await send(b, a, `r${round}-${i}`));
        const conversationId = sent[0]!.conversationId;
        // One tab marks each message as it arrives, another opens the conversation; a second store is a
        // second process.
        const other = opened.stores[1];
        const results = await Promise.allSettled([
          ...sent.map((m, i) => (i % 2 ? store : other).markRead(m.id, new Date())),
          store.markConversationRead(conversationId, a.id, undefined, new Date()),
          other.markConversationRead(conversationId, a.id, sent[7]!.id, new Date()),
        ]);
        const failed = results.filter((r) => r.status === 'rejected');
        assert.deepEqual(
          failed.map((r) => String((r as PromiseRejectedResult).reason)),
          [],
          'every read call succeeds',
        );
        assert.equal(await store.countUnread(a.id), 0);
        const view = await store.conversationFor(conversationId, a.id);
        assert.deepEqual([view?.viewer.unreadCount, view?.viewer.lastReadMessageId], [0, sent.at(-1)!.id]);
      }
    });

    it('keeps unread counts equal to the read flags and cursors under random operations', async () => {
      type Op =
        | { kind: 'send'; from: number; to: number }
        | { kind: 'read'; pick: number }
        | { kind: 'cursor'; reader: number; other: number; pick: number | null };
      const person = fc.integer({ min: 0, max: 2 });
      const op: fc.Arbitrary<Op> = fc.oneof(
        { weight: 4, arbitrary: fc.record({ kind: fc.constant('send' as const), from: person, to: person }) },
        { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), pick: fc.nat() }) },
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constant('cursor' as const),
            reader: person,
            other: person,
            pick: fc.option(fc.nat(), { nil: null }),
          }),
        },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
          // A fresh trio each run: the model starts empty.
          const trio = [await user(), await user(), await user()];
          const messages: Array<{
            id: string;
            conversationId: string;
            from: number;
            to: number;
            read: boolean;
          }> = [];
          const cursors = new Map<string, string>(); // `${conversationId}|${reader}` → message id
          for (const o of ops) {
            if (o.kind === 'send') {
              if (o.from === o.to) continue;
              const m = await send(trio[o.from]!, trio[o.to]!, 'x');
              messages.push({
                id: m.id,
                conversationId: m.conversationId,
                from: o.from,
                to: o.to,
                read: false,
              });
            } else if (o.kind === 'read') {
              const m = messages[o.pick % Math.max(1, messages.length)];
              if (!m) continue;
              await store.markRead(m.id, new Date());
              m.read = true;
            } else {
              if (o.reader === o.other) continue;
              const conversationId = await store.findDirect(trio[o.reader]!.id, trio[o.other]!.id);
              if (!conversationId) continue;
              const inConversation = messages.filter((m) => m.conversationId === conversationId);
              const target =
                o.pick === null ? inConversation.at(-1) : inConversation[o.pick % inConversation.length];
              if (!target) continue;
              await store.markConversationRead(
                conversationId,
                trio[o.reader]!.id,
                o.pick === null ? undefined : target.id,
                new Date(),
              );
              const key = `${conversationId}|${o.reader}`;
              const cursor = cursors.get(key);
              if (!cursor || BigInt(target.id) > BigInt(cursor)) cursors.set(key, target.id);
              const upTo = BigInt(cursors.get(key) as string);
              for (const m of inConversation) if (m.to === o.reader && BigInt(m.id) <= upTo) m.read = true;
            }
          }
          for (const [i, who] of trio.entries()) {
            const unread = messages.filter((m) => m.to === i && !m.read);
            assert.equal(await store.countUnread(who.id), unread.length, 'unread total');
            for (const view of await store.inbox(who.id, { limit: 10 })) {
              const here = unread.filter((m) => m.conversationId === view.id);
              assert.equal(view.viewer.unreadCount, here.length, 'unread per conversation');
              assert.equal(view.viewer.lastReadMessageId, cursors.get(`${view.id}|${i}`) ?? null, 'cursor');
            }
          }
          for (const m of messages) {
            assert.equal((await store.findMessage(m.id))?.readAt !== null, m.read, `read flag of ${m.id}`);
          }
        }),
        { numRuns: 25 },
      );
    });
  });
}
