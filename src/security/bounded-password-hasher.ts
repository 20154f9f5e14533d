import { RateLimitedError } from '../domain/errors.js';
import type { PasswordHasher } from '../services/ports.js';

/**
 * A `PasswordHasher` that lets at most `maxPending` hashes and verifications run or wait at once. Past
 * that it refuses at once (`RateLimitedError`: 429 with `Retry-After` on REST) instead of queueing: a
 * flood of logins must not build an unbounded queue of argon2 work (each ~19 MiB and tens of ms) that
 * every later login waits behind.
 *
 * @example const passwords = new BoundedPasswordHasher(new Argon2PasswordHasher(), 16);
 */
export class BoundedPasswordHasher implements PasswordHasher {
  private pending = 0;

  constructor(
    private readonly inner: PasswordHasher,
    private readonly maxPending: number,
  ) {}

  hash(password: string): Promise<string> {
    return this.bounded(() => this.inner.hash(password));
  }

  verify(hash: string, password: string): Promise<boolean> {
    return this.bounded(() => this.inner.verify(hash, password));
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    if (this.pending >= this.maxPending) throw new RateLimitedError('sign-ins in progress', 1000);
    this.pending += 1;
    try {
      return await work();
    } finally {
      this.pending -= 1;
    }
  }
}
