import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AppError } from '../../src/domain/errors.js';
import type { Message, User } from '../../src/domain/types.js';
import type { NewUser, Store } from '../../src/store/store.js';

export interface OpenedStore {
  store: Store;
  close(): Promise<void>;
}

let seq = 0;
/** A unique tag, so tests sharing one store never see each other's rows by accident. */
const tag = () => `t${Date.now().toString(36)}${(seq += 1)}${Math.random().toString(36).slice(2, 6)}`;

const newUser = (over: Partial<NewUser> = {}): NewUser => {
  const t = tag();
  return {
    name: `Name ${t}`,
    username: `user_${t}`,
    email: `${t}@example.test`,
    role: 'customer',
    passwordHash: `$hash$${t}`,
    createdAt: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)),
    ...over,
  };
};

const rejectsWith = async (work: Promise<unknown>, code: string) => {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
};

const byId = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => a.id.localeCompare(b.id));
const big = (id: string) => BigInt(id);

/**
 * The `Store` contract (src/store/store.ts), written once and run on every implementation. `open` must
 * return a fresh, migrated, empty store each time it is called.
 */
export function storeContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;

    const user = async (over: Partial<NewUser> = {}): Promise<User> => store.createUser(newUser(over));
    const pair = async (): Promise<[User, User]> => [await user(), await user()];
    const send = (from: User, to: User, content: string, sentAt = new Date()) =>
      store.insertMessage({ senderId: from.id, receiverId: to.id, content, sentAt });
    const search = (query: string, more: { excludeId?: string; offset?: number; limit?: number } = {}) =>
      store.searchUsers({ query, offset: 0, limit: 10, ...more });
    const conversation = (a: User, b: User | string, offset = 0, limit = 10) =>
      store.conversation(a.id, typeof b === 'string' ? b : b.id, { offset, limit });

    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(() => opened?.close());

    describe('users', () => {
      it('createUser returns the user without its hash, and findUserById finds it', async () => {
        const input = newUser({ name: 'Zoë Ünicode 😀', role: 'agent' });
        const created = await store.createUser(input);
        assert.match(created.id, /^[1-9]\d*$/, 'ids are decimal strings of integers');
        const expected: User = {
          id: created.id,
          name: input.name,
          username: input.username,
          email: input.email,
          role: 'agent',
          lastSeen: null,
          createdAt: input.createdAt,
        };
        assert.deepEqual(created, expected);
        assert.deepEqual(await store.findUserById(created.id), expected);
        const next = await user();
        assert.ok(BigInt(next.id) > BigInt(created.id), 'ids increase');
      });

      it('findUserById resolves undefined for unknown ids', async () => {
        assert.equal(await store.findUserById(randomUUID()), undefined);
        assert.equal(await store.findUserById(''), undefined);
        assert.equal(await store.findUserById("' or 1=1 --"), undefined);
        for (const id of ['0', '-1', '1.5', '1e3', ' 1', '99999999999999999999']) {
          assert.equal(await store.findUserById(id), undefined, id);
        }
      });

      it('usernames are unique case-insensitively (USERNAME_TAKEN)', async () => {
        const { username } = await user({ username: `Alice_${tag()}` });
        for (const clash of [username, username.toUpperCase(), username.toLowerCase()]) {
          await rejectsWith(store.createUser(newUser({ username: clash })), 'USERNAME_TAKEN');
        }
      });

      it('emails are unique (EMAIL_TAKEN); a rejected insert stores nothing', async () => {
        const first = await user();
        const clash = newUser({ email: first.email });
        await rejectsWith(store.createUser(clash), 'EMAIL_TAKEN');
        assert.equal(await store.findCredentials({ username: clash.username }), undefined);
      });

      it('of two concurrent inserts with the same username or email exactly one wins', async () => {
        const fields = { username: 'USERNAME_TAKEN', email: 'EMAIL_TAKEN' } as const;
        for (const [field, code] of Object.entries(fields)) {
          const a = newUser();
          const b = newUser({ [field]: field === 'username' ? a.username.toUpperCase() : a.email });
          const results = await Promise.allSettled([store.createUser(a), store.createUser(b)]);
          const won = results.filter((r) => r.status === 'fulfilled');
          const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          assert.equal(won.length, 1, `${field}: exactly one insert should win`);
          assert.equal(lost.length, 1);
          assert.ok(lost[0]?.reason instanceof AppError);
          assert.equal(lost[0].reason.code, code);
          // Look each up by the field the two do not share.
          const lookup = (u: NewUser) =>
            store.findCredentials(field === 'username' ? { email: u.email } : { username: u.username });
          const found = [await lookup(a), await lookup(b)].filter(Boolean);
          assert.equal(found.length, 1, `${field}: exactly one row should be stored`);
        }
      });

      it('findUsersByIds returns the known users and skips unknown ids', async () => {
        const [a, b] = await pair();
        const c = await user();
        assert.deepEqual(byId(await store.findUsersByIds([a.id, randomUUID(), c.id])), byId([a, c]));
        assert.deepEqual(byId(await store.findUsersByIds([b.id])), [b]);
        assert.deepEqual(await store.findUsersByIds([]), []);
        assert.deepEqual(await store.findUsersByIds([randomUUID()]), []);
      });

      it('findCredentials finds by lower-case email or by username in any case', async () => {
        const input = newUser({ username: `Carol_${tag()}` });
        const created = await store.createUser(input);
        const expected = { user: created, passwordHash: input.passwordHash };
        assert.deepEqual(await store.findCredentials({ email: input.email }), expected);
        assert.deepEqual(await store.findCredentials({ username: input.username }), expected);
        assert.deepEqual(await store.findCredentials({ username: input.username.toUpperCase() }), expected);
        assert.deepEqual(await store.findCredentials({ username: input.username.toLowerCase() }), expected);
      });

      it('findCredentials resolves undefined for unknown logins or an empty one', async () => {
        const known = await user();
        assert.equal(await store.findCredentials({ email: `nobody-${tag()}@example.test` }), undefined);
        assert.equal(await store.findCredentials({ username: `nobody_${tag()}` }), undefined);
        assert.equal(await store.findCredentials({}), undefined);
        // The email of one user is not the username of anyone.
        assert.equal(await store.findCredentials({ username: known.email }), undefined);
      });

      it('setLastSeen stores the time; unknown users are not an error', async () => {
        const u = await user();
        const at = new Date(Date.UTC(2024, 5, 1, 10, 30, 0, 123));
        await store.setLastSeen(u.id, at);
        assert.deepEqual((await store.findUserById(u.id))?.lastSeen, at);
        const later = new Date(at.getTime() + 60_000);
        await store.setLastSeen(u.id, later);
        assert.deepEqual((await store.findUserById(u.id))?.lastSeen, later);
        await store.setLastSeen(randomUUID(), at);
      });
    });

    describe('searchUsers', () => {
      it('matches a case-insensitive substring of name or username, never the email', async () => {
        const t = tag();
        const byName = await user({ name: `Dora ${t} Explorer` });
        const byUsername = await user({ username: `u_${t}_x` });
        await user({ email: `mail.${t}@example.test` }); // only its email matches: not found
        await user(); // not matching
        for (const query of [t, t.toUpperCase()]) {
          const found = await search(query);
          assert.deepEqual(byId(found.users), byId([byName, byUsername]));
          assert.equal(found.total, 2);
        }
        assert.equal((await search(`mail.${t}@example.test`)).total, 0);
        assert.deepEqual((await search(`DORA ${t.toUpperCase()} exp`)).users, [byName]);
      });

      it('an empty or absent query matches everyone; excludeId leaves one out', async () => {
        const me = await user();
        const all = await store.searchUsers({ offset: 0, limit: 1000 });
        assert.ok(all.total >= 1);
        assert.equal(all.users.length, all.total);
        assert.ok(all.users.some((u) => u.id === me.id));
        assert.equal((await store.searchUsers({ query: '', offset: 0, limit: 1000 })).total, all.total);
        const others = await store.searchUsers({ excludeId: me.id, offset: 0, limit: 1000 });
        assert.equal(others.total, all.total - 1);
        assert.ok(!others.users.some((u) => u.id === me.id));
      });

      it('pages with offset and limit; total counts every match', async () => {
        const t = tag();
        const group = await Promise.all([1, 2, 3, 4, 5].map((i) => user({ name: `Page ${t} ${i}` })));
        const seen: User[] = [];
        for (const offset of [0, 2, 4]) {
          const page = await search(t, { offset, limit: 2 });
          assert.equal(page.total, 5);
          assert.equal(page.users.length, offset === 4 ? 1 : 2);
          seen.push(...page.users);
        }
        assert.deepEqual(byId(seen), byId(group), 'pages must be disjoint and cover every match');
        assert.deepEqual(await search(t, { offset: 10, limit: 2 }), { users: [], total: 5 });
        assert.equal((await search(t, { excludeId: group[0]?.id })).total, 4);
      });

      it('treats % and _ in the query as literal characters', async () => {
        const t = tag();
        const percent = await user({ name: `Sale ${t} 100% off` });
        await user({ name: `Sale ${t} 1000 off` });
        const underscore = await user({ name: `Snake ${t} a_b` });
        await user({ name: `Snake ${t} axb` });
        const backslash = await user({ name: `Path ${t} c\\d` });
        await user({ name: `Path ${t} cd` });
        assert.deepEqual((await search(`${t} 100%`)).users, [percent]);
        assert.deepEqual((await search(`${t} a_b`)).users, [underscore]);
        assert.deepEqual((await search(`${t} c\\d`)).users, [backslash]);
        assert.deepEqual(await search(`${t}%%`), { users: [], total: 0 });
      });
    });

    describe('messages', () => {
      let alice: User;
      let bob: User;
      let carol: User;

      before(async () => {
        [alice, bob] = await pair();
        carol = await user();
      });

      it('insertMessage returns the stored message with a decimal string id, unread', async () => {
        const sentAt = new Date(Date.UTC(2024, 2, 3, 4, 5, 6, 789));
        const stored = await send(alice, bob, 'Hello, Bob 👋', sentAt);
        assert.match(stored.id, /^\d+$/);
        assert.match(stored.conversationId, /^\d+$/);
        const expected: Message = {
          id: stored.id,
          conversationId: stored.conversationId,
          senderId: alice.id,
          receiverId: bob.id,
          content: 'Hello, Bob 👋',
          sentAt,
          readAt: null,
        };
        assert.deepEqual(stored, expected);
        assert.deepEqual(await store.findMessage(stored.id), expected);
      });

      it('ids increase with insertion order', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i += 1)
          ids.push((await send(i % 2 ? alice : bob, i % 2 ? bob : alice, `m${i}`)).id);
        const sorted = [...ids].sort((a, b) => (big(a) < big(b) ? -1 : 1));
        assert.deepEqual(ids, sorted);
        assert.equal(new Set(ids).size, ids.length);
      });

      it('stores content exactly, including long and unusual text', async () => {
        const contents = ['x'.repeat(5000), "'; drop table messages; --", 'a\nb\tc', '  spaced  '];
        for (const content of contents) {
          const stored = await send(alice, carol, content);
          assert.equal((await store.findMessage(stored.id))?.content, content);
        }
      });

      it('findMessage resolves undefined for unknown and non-numeric ids', async () => {
        const last = await send(alice, bob, 'probe');
        const unknown = (big(last.id) + 1000n).toString();
        const huge = '99999999999999999999999';
        for (const id of [unknown, 'abc', '', '-1', '1.5', ' 1', '1e3', randomUUID(), huge]) {
          assert.equal(await store.findMessage(id), undefined, `findMessage(${JSON.stringify(id)})`);
        }
      });

      it('markRead sets readAt once, keeps the first time, and returns the message either way', async () => {
        const stored = await send(alice, bob, 'read me');
        const first = new Date(Date.UTC(2024, 3, 1, 12, 0, 0, 1));
        assert.deepEqual(await store.markRead(stored.id, first), { ...stored, readAt: first });
        const again = await store.markRead(stored.id, new Date(first.getTime() + 3_600_000));
        assert.deepEqual(again, { ...stored, readAt: first });
        assert.deepEqual((await store.findMessage(stored.id))?.readAt, first);
      });

      it('markRead resolves undefined for unknown and non-numeric ids', async () => {
        const last = await send(alice, bob, 'probe');
        for (const id of [(big(last.id) + 1000n).toString(), 'nope', '', randomUUID()]) {
          assert.equal(await store.markRead(id, new Date()), undefined, `markRead(${JSON.stringify(id)})`);
        }
      });

      it('conversation returns both directions, newest first, and nothing of other pairs', async () => {
        const [dave, erin] = await pair();
        const frank = await user();
        const m1 = await send(dave, erin, 'one');
        const other = await send(dave, frank, 'not in this conversation');
        const m2 = await send(erin, dave, 'two');
        await send(frank, erin, 'nor this');
        const m3 = await send(dave, erin, 'three');
        const expected = [m3, m2, m1];
        assert.deepEqual(await conversation(dave, erin), expected);
        assert.deepEqual(await conversation(erin, dave), expected);
        assert.deepEqual(await conversation(dave, frank), [other]);
        assert.deepEqual(await conversation(dave, randomUUID()), []);
      });

      it('conversation pages with offset and limit', async () => {
        const [gina, hank] = await pair();
        const sent: Message[] = [];
        for (let i = 0; i < 7; i += 1)
          sent.push(await send(i % 3 ? gina : hank, i % 3 ? hank : gina, `p${i}`));
        const newestFirst = [...sent].reverse();
        assert.deepEqual(await conversation(gina, hank, 0, 3), newestFirst.slice(0, 3));
        assert.deepEqual(await conversation(gina, hank, 3, 3), newestFirst.slice(3, 6));
        assert.deepEqual(await conversation(hank, gina, 6, 3), newestFirst.slice(6));
        assert.deepEqual(await conversation(gina, hank, 7, 3), []);
      });

      it('countUnread counts unread messages received across conversations', async () => {
        const [ivy, jack] = await pair();
        const kim = await user();
        assert.equal(await store.countUnread(ivy.id), 0);
        const a = await send(jack, ivy, 'a');
        await send(kim, ivy, 'b');
        await send(jack, ivy, 'c');
        await send(ivy, jack, 'sent, not received');
        assert.equal(await store.countUnread(ivy.id), 3);
        assert.equal(await store.countUnread(jack.id), 1);
        await store.markRead(a.id, new Date());
        assert.equal(await store.countUnread(ivy.id), 2);
        await store.markRead(a.id, new Date());
        assert.equal(await store.countUnread(ivy.id), 2);
        assert.equal(await store.countUnread(randomUUID()), 0);
      });

      it("a sender's clientMessageId is unique: a second insert is DUPLICATE_MESSAGE and stores nothing", async () => {
        const [pia, quinn] = await pair();
        const first = await store.insertMessage({
          senderId: pia.id,
          receiverId: quinn.id,
          content: 'once',
          sentAt: new Date(),
          clientMessageId: 'c-1',
        });
        assert.equal(first.clientMessageId, 'c-1');
        await rejectsWith(
          store.insertMessage({
            senderId: pia.id,
            receiverId: quinn.id,
            content: 'twice',
            sentAt: new Date(),
            clientMessageId: 'c-1',
          }),
          'DUPLICATE_MESSAGE',
        );
        // Racing inserts in one turn (one batch): exactly one wins.
        const racing = await Promise.allSettled(
          [1, 2, 3].map((n) =>
            store.insertMessage({
              senderId: pia.id,
              receiverId: quinn.id,
              content: `race ${n}`,
              sentAt: new Date(),
              clientMessageId: 'c-2',
            }),
          ),
        );
        assert.equal(racing.filter((r) => r.status === 'fulfilled').length, 1);
        // Another sender may use the same client id; messages without one are never duplicates.
        await store.insertMessage({
          senderId: quinn.id,
          receiverId: pia.id,
          content: 'mine',
          sentAt: new Date(),
          clientMessageId: 'c-1',
        });
        await send(pia, quinn, 'no client id');
        await send(pia, quinn, 'no client id');
        const found = await store.findByClientMessageId(pia.id, 'c-1');
        assert.equal(found?.id, first.id);
        assert.equal(found?.content, 'once');
        assert.equal(await store.findByClientMessageId(pia.id, 'unknown'), undefined);
        assert.equal(await store.findByClientMessageId('not-an-id', 'c-1'), undefined);
        const all = await store.conversation(pia.id, quinn.id, { offset: 0, limit: 100 });
        assert.equal(all.length, 5);
      });

      it('contactsOf lists everyone who shares a message with the user, once, either direction', async () => {
        const [lena, mo] = await pair();
        const [nia, oz] = await pair();
        assert.deepEqual(await store.contactsOf(lena.id), []);
        await Promise.all([send(lena, mo, 'one'), send(mo, lena, 'two'), send(nia, lena, 'three')]);
        await send(lena, mo, 'again');
        assert.deepEqual((await store.contactsOf(lena.id)).sort(), [mo.id, nia.id].sort());
        assert.deepEqual(await store.contactsOf(mo.id), [lena.id]);
        assert.deepEqual(await store.contactsOf(nia.id), [lena.id]);
        assert.deepEqual(await store.contactsOf(oz.id), []);
      });
    });

    describe('lifecycle', () => {
      it('ping resolves while open', async () => {
        await store.ping();
      });

      it('close resolves; a closed store no longer answers', async () => {
        const other = await open();
        await other.store.ping();
        await other.store.close();
        await assert.rejects(other.store.ping());
        await other.close();
      });
    });
  });
}
