import argon2 from 'argon2';
import type { PasswordHasher } from '../services/ports.js';

/**
 * argon2id with OWASP's minimum profile (19 MiB, 2 passes, 1 lane) unless told otherwise; hashing runs
 * on libuv's thread pool, off the event loop.
 */
export class Argon2PasswordHasher implements PasswordHasher {
  constructor(
    private readonly params: { memoryCost: number; timeCost: number; parallelism: number } = {
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
    },
  ) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, { type: argon2.argon2id, ...this.params });
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }
}
