import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { User } from '../../src/domain/types.js';
import type { ExternalUser, Store } from '../../src/store/store.js';
import type { OpenedStore } from './store-contract.js';

let seq = 0;
const tag = () => `x${Date.now().toString(36)}${(seq += 1)}${Math.random().toString(36).slice(2, 6)}`;

const external = (over: Partial<ExternalUser> = {}): ExternalUser => {
  const t = tag();
  return {
    externalId: `host-${t}`,
    name: `Host User ${t}`,
    username: `host_${t}`,
    email: `${t}@host.example`,
    role: 'customer',
    ...over,
  };
};

const FIRST_SIGHT = new Date(Date.UTC(2024, 4, 6, 7, 8, 9, 123));
const LATER = new Date(Date.UTC(2024, 5, 1));

/**
 * `Store.upsertExternalUser` (library mode: users owned by the host application), part of the Store
 * contract, run on every implementation like store-contract.ts. `open` returns a fresh, migrated store.
 */
export function externalUsersContract(name: string, open: () => Promise<OpenedStore>): void {
  describe(`Store contract, external users: ${name}`, () => {
    let opened: OpenedStore;
    let store: Store;
    const profile = (input: ExternalUser, id: string, createdAt = FIRST_SIGHT): User => ({
      id,
      name: input.name,
      username: input.username,
      email: input.email,
      role: input.role,
      lastSeen: null,
      createdAt,
      externalId: input.externalId,
    });

    before(async () => {
      opened = await open();
      store = opened.store;
    });
    after(() => opened?.close());

    it('creates the user on first sight, without a password that could log in', async () => {
      const input = external({ name: 'Zoë Host 😀', role: 'agent' });
      const created = await store.upsertExternalUser(input, FIRST_SIGHT);
      assert.match(created.id, /^[1-9]\d*$/);
      assert.deepEqual(created, profile(input, created.id));
      assert.deepEqual(await store.findUserById(created.id), created);
      const credentials = await store.findCredentials({ username: input.username });
      assert.deepEqual(credentials?.user, created);
      assert.doesNotMatch(credentials?.passwordHash ?? '', /^\$/, 'no password hash is stored');
    });

    it('finds the same row on a second sight, keeping its creation time', async () => {
      const input = external();
      const first = await store.upsertExternalUser(input, FIRST_SIGHT);
      const again = await store.upsertExternalUser(input, LATER);
      assert.deepEqual(again, first);
      const other = await store.upsertExternalUser(external(), LATER);
      assert.notEqual(other.id, first.id, 'another external id is another user');
    });

    it('brings the profile in step with the host on a later sight', async () => {
      const input = external();
      const first = await store.upsertExternalUser(input, FIRST_SIGHT);
      const t = tag();
      const changed = { ...input, name: `Renamed ${t}`, username: `renamed_${t}`, email: `${t}@new.example` };
      const updated = await store.upsertExternalUser({ ...changed, role: 'admin' }, LATER);
      assert.deepEqual(updated, profile({ ...changed, role: 'admin' }, first.id));
      assert.deepEqual(await store.findUserById(first.id), updated);
      assert.equal(await store.findCredentials({ username: input.username }), undefined);
      assert.equal((await store.findCredentials({ email: changed.email }))?.user.id, first.id);
    });

    it('refuses a first sight whose username or email another user has, and stores nothing', async () => {
      const owner = await store.upsertExternalUser(external({ username: `Owner_${tag()}` }), FIRST_SIGHT);
      const clashes = [
        { clash: external({ username: owner.username.toUpperCase() }), by: 'email' },
        { clash: external({ email: owner.email }), by: 'username' },
      ] as const;
      for (const { clash, by } of clashes) {
        await assert.rejects(store.upsertExternalUser(clash, LATER), JSON.stringify(clash));
        assert.equal(await store.findCredentials({ [by]: clash[by] }), undefined, 'nothing stored');
        // Once the host fixes the profile, the same external id is created.
        const fixed = { ...external(), externalId: clash.externalId };
        assert.deepEqual(
          await store.upsertExternalUser(fixed, LATER),
          profile(fixed, (await store.findCredentials({ email: fixed.email }))!.user.id, LATER),
        );
      }
    });

    it('refuses an update onto another user’s username or email, and keeps the old profile', async () => {
      const owner = await store.upsertExternalUser(external(), FIRST_SIGHT);
      const input = external();
      const mover = await store.upsertExternalUser(input, FIRST_SIGHT);
      for (const clash of [{ username: owner.username.toUpperCase() }, { email: owner.email }]) {
        await assert.rejects(store.upsertExternalUser({ ...input, ...clash }, LATER));
        assert.deepEqual(await store.findUserById(mover.id), mover);
      }
    });

    it('concurrent first sights of one user agree on one row', async () => {
      const input = external();
      const results = await Promise.all(
        Array.from({ length: 6 }, () => store.upsertExternalUser(input, FIRST_SIGHT)),
      );
      assert.deepEqual(new Set(results.map((u) => u.id)).size, 1);
      assert.deepEqual(results[0], profile(input, results[0]!.id));
    });
  });
}
