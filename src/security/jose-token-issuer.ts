import { type KeyObject, createSecretKey } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { AppError } from '../domain/errors.js';
import type { TokenIssuer } from '../services/ports.js';

/** Claims that may carry the user id, in the order they are tried (tokens from other systems included). */
const ID_CLAIMS = ['sub', 'userId', 'id', '_id'] as const;

/**
 * HS256 JWTs: `sub` is the user id; tokens expire after `ttlSeconds`. Verification pins HS256 (so `none`
 * and key-confusion tokens fail) and checks `exp`/`nbf` when present, with a little clock tolerance.
 *
 * @example const tokens = new JoseTokenIssuer({ secret, ttlSeconds: 604800 });
 */
export class JoseTokenIssuer implements TokenIssuer {
  /** Imported once: given raw bytes, jose would import the key again for every token. */
  private readonly key: KeyObject;

  constructor(
    private readonly options: {
      secret: string;
      ttlSeconds: number;
      clockToleranceSeconds?: number;
      /** When set, issued tokens carry it and verified tokens must. */
      issuer?: string;
      audience?: string;
    },
  ) {
    this.key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  }

  issue(userId: string): Promise<string> {
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime(`${this.options.ttlSeconds}s`);
    if (this.options.issuer) jwt.setIssuer(this.options.issuer);
    if (this.options.audience) jwt.setAudience(this.options.audience);
    return jwt.sign(this.key);
  }

  async verify(token: string): Promise<string> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
      }));
    } catch {
      throw new AppError('INVALID_TOKEN');
    }
    for (const claim of ID_CLAIMS) {
      const value = payload[claim];
      if (typeof value === 'string' && value !== '') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    }
    throw new AppError('INVALID_TOKEN');
  }
}
