import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { User } from '../../src/domain/types.js';
import { revokedUsers } from '../../src/services/session-check.js';
import type { Store } from '../../src/store/store.js';

const user = (id: string, more: Partial<User> = {}): User => ({
  id,
  name: `User ${id}`,
  username: `user${id}`,
  email: `${id}@example.test`,
  role: 'customer',
  lastSeen: null,
  createdAt: new Date(0),
  ...more,
});

/** A store that knows `users` and counts its batched reads. */
const storeOf = (users: User[]) => {
  const reads: string[][] = [];
  const store = {
    findUsersByIds: async (ids: readonly string[]) => {
      reads.push([...ids]);
      return users.filter((u) => ids.includes(u.id));
    },
  } as unknown as Store;
  return { store, reads };
};

describe('revokedUsers (the session re-check)', () => {
  it('names the deleted and the disabled, in one read of storage', async () => {
    const { store, reads } = storeOf([user('1'), user('2', { disabledAt: new Date() }), user('4')]);
    const revoked = await revokedUsers({ store }, [user('1'), user('2'), user('3'), user('4'), user('1')]);
    assert.deepEqual(revoked.sort(), ['2', '3']);
    assert.deepEqual(reads, [['1', '2', '3', '4']]);
    assert.deepEqual(await revokedUsers({ store }, []), []);
  });

  it('rejects when storage fails, so the caller disconnects nobody', async () => {
    const store = { findUsersByIds: () => Promise.reject(new Error('down')) } as unknown as Store;
    await assert.rejects(revokedUsers({ store }, [user('1')]), /down/);
  });

  it("with a host identity, asks the host's findUser a few at a time; a failing lookup keeps its user", async () => {
    const hosted = Array.from({ length: 30 }, (_, i) => user(String(i + 1), { externalId: `h${i + 1}` }));
    const { store } = storeOf(hosted);
    let running = 0;
    let most = 0;
    const failures: string[] = [];
    const identity = {
      verifyToken: async () => null,
      findUser: async (id: string) => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        if (id === 'h3') throw new Error('host down');
        return id === 'h7' || id === 'h8' ? null : { name: 'N', username: 'n' };
      },
    };
    const revoked = await revokedUsers({ store, identity }, hosted, (_err, userId) => failures.push(userId));
    assert.deepEqual(revoked.sort(), ['7', '8']);
    assert.deepEqual(failures, ['3']);
    assert.ok(most <= 8, `at most 8 lookups at once, saw ${most}`);
  });
});
