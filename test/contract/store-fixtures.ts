import type { User } from '../../src/domain/types.js';
import type { Store } from '../../src/store/store.js';

let seq = 0;
/** A unique tag, so tests sharing one store never see each other's rows by accident. */
export const uniqueTag = (prefix = 't'): string =>
  `${prefix}${Date.now().toString(36)}${(seq += 1)}${Math.random().toString(36).slice(2, 6)}`;

/** A new user with a unique name, username and email, straight through the store. */
export function createStoreUser(store: Store): Promise<User> {
  const t = uniqueTag('u');
  return store.createUser({
    name: `Name ${t}`,
    username: `user_${t}`,
    email: `${t}@example.test`,
    role: 'customer',
    passwordHash: '$hash$',
    createdAt: new Date(),
  });
}
