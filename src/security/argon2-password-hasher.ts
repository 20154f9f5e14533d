import { hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../services/ports.js';

/**
 * argon2id (the library's default algorithm) with OWASP's minimum profile — 19 MiB, 2 passes, 1 lane —
 * unless told otherwise. Hashing runs on the library's worker threads, off the event loop.
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
    return hash(password, this.params);
  }

  async verify(hashed: string, password: string): Promise<boolean> {
    try {
      return await verify(hashed, password);
    } catch {
      return false;
    }
  }
}
