import { type KeyObject, createSecretKey } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from '../config.js';
import { AppError } from '../domain/errors.js';
import type { TokenIssuer, VerifiedToken } from '../services/ports.js';

/** Claims that may carry the user id, in the order they are tried (tokens from other systems included). */
const ID_CLAIMS: readonly string[] = ['sub', 'userId', 'id', '_id'];

/**
 * HS256 JWTs: `sub` is the user id; tokens expire after `ttlSeconds`. Verification pins HS256 (so `none`
 * and key-confusion tokens fail), requires `exp` unless told otherwise, and checks `exp`/`nbf` with a little
 * clock tolerance.
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
      /** Refuse tokens without `exp` (the default); false accepts non-expiring tokens from other systems. */
      requireExpiry?: boolean;
      /** When set, issued tokens carry it and verified tokens must. */
      issuer?: string;
      audience?: string;
      /**
       * The claims the user id is read from, the first present one winning (default: `sub`, `userId`,
       * `id`, `_id`). `['sub']` refuses other kinds of token signed with the same secret.
       */
      idClaims?: readonly string[];
    },
  ) {
    this.key = createSecretKey(Buffer.from(options.secret, 'utf8'));
  }

  /** The issuer the settings describe (JWT_EXPIRES_IN, JWT_REQUIRE_EXP, JWT_CLOCK_TOLERANCE, iss/aud,
   * JWT_ID_CLAIMS). */
  static fromConfig(config: Readonly<Config>, secret: string): JoseTokenIssuer {
    return new JoseTokenIssuer({
      secret,
      ttlSeconds: config.jwtTtlSeconds,
      requireExpiry: config.jwtRequireExp,
      clockToleranceSeconds: config.jwtClockToleranceSeconds,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      idClaims: config.jwtIdClaims,
    });
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

  async verify(token: string): Promise<VerifiedToken> {
    const tolerance = this.options.clockToleranceSeconds ?? 30;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        clockTolerance: tolerance,
        requiredClaims: this.options.requireExpiry === false ? [] : ['exp'],
        ...(this.options.issuer ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience ? { audience: this.options.audience } : {}),
      }));
    } catch {
      throw new AppError('INVALID_TOKEN');
    }
    const userId = idOf(payload, this.options.idClaims ?? ID_CLAIMS);
    if (!userId) throw new AppError('INVALID_TOKEN');
    const { exp } = payload;
    return typeof exp === 'number' ? { userId, expiresAt: (exp + tolerance) * 1000 } : { userId };
  }
}

function idOf(payload: Record<string, unknown>, claims: readonly string[]): string | undefined {
  for (const claim of claims) {
    if (!Object.hasOwn(payload, claim)) continue;
    const value = payload[claim];
    if (typeof value === 'string' && value !== '') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}
