import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, UnsecuredJWT, decodeJwt } from 'jose';
import { AppError } from '../../src/domain/errors.js';
import { loadConfig } from '../../src/config.js';
import { JoseTokenIssuer } from '../../src/security/jose-token-issuer.js';

const SECRET = 'unit-test-secret-0123456789-abcdefghijklmnop';
const key = new TextEncoder().encode(SECRET);
const invalid = async (tokens: JoseTokenIssuer, token: string) =>
  assert.rejects(
    tokens.verify(token),
    (err: unknown) => err instanceof AppError && err.code === 'INVALID_TOKEN',
  );

describe('JoseTokenIssuer', () => {
  it('issues HS256 tokens with sub and exp that it verifies back to the user id', async () => {
    const tokens = new JoseTokenIssuer({ secret: SECRET, ttlSeconds: 3600 });
    const token = await tokens.issue('42');
    const claims = decodeJwt(token);
    assert.equal(claims.sub, '42');
    assert.ok(typeof claims.exp === 'number' && claims.exp > Date.now() / 1000);
    assert.deepEqual(await tokens.verify(token), {
      userId: '42',
      expiresAt: ((claims.exp as number) + 30) * 1000,
    });
  });

  it('requires exp unless told not to, and honours the configured clock tolerance', async () => {
    const strict = new JoseTokenIssuer({ secret: SECRET, ttlSeconds: 3600 });
    const forever = await new SignJWT({ sub: '42' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await invalid(strict, forever);
    const lenient = new JoseTokenIssuer({ secret: SECRET, ttlSeconds: 3600, requireExpiry: false });
    assert.deepEqual(await lenient.verify(forever), { userId: '42' });

    const now = Math.floor(Date.now() / 1000);
    const justExpired = await new SignJWT({ userId: 9 })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now - 10)
      .sign(key);
    assert.deepEqual(await strict.verify(justExpired), { userId: '9', expiresAt: (now + 20) * 1000 });
    const exact = new JoseTokenIssuer({ secret: SECRET, ttlSeconds: 3600, clockToleranceSeconds: 0 });
    await invalid(exact, justExpired);
  });

  it('rejects alg none, another secret, expired tokens and tokens without an id claim', async () => {
    const tokens = new JoseTokenIssuer({ secret: SECRET, ttlSeconds: 3600 });
    await invalid(tokens, new UnsecuredJWT({ sub: '42' }).encode());
    await invalid(
      tokens,
      await new SignJWT({ sub: '42' })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode('other')),
    );
    const expired = await new SignJWT({ sub: '42' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(Date.now() / 1000) - 120)
      .sign(key);
    await invalid(tokens, expired);
    await invalid(
      tokens,
      await new SignJWT({ name: 'no id' }).setProtectedHeader({ alg: 'HS512' }).sign(key),
    );
    await invalid(
      tokens,
      await new SignJWT({ name: 'no id' }).setProtectedHeader({ alg: 'HS256' }).sign(key),
    );
  });

  it('with an issuer and audience configured, issues them and accepts only tokens carrying both', async () => {
    const tokens = new JoseTokenIssuer({
      secret: SECRET,
      ttlSeconds: 3600,
      issuer: 'parley',
      audience: 'chat',
    });
    const own = await tokens.issue('7');
    assert.deepEqual([decodeJwt(own).iss, decodeJwt(own).aud], ['parley', 'chat']);
    assert.equal((await tokens.verify(own)).userId, '7');
    const bare = await new SignJWT({ sub: '7' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(key);
    await invalid(tokens, bare);
    const wrongAudience = await new SignJWT({ sub: '7' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('parley')
      .setAudience('elsewhere')
      .setExpirationTime('1h')
      .sign(key);
    await invalid(tokens, wrongAudience);
  });

  describe('the claims that name the user (JWT_ID_CLAIMS)', () => {
    const signed = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key);

    it('by default reads sub, userId, id or _id, in that order', async () => {
      const tokens = new JoseTokenIssuer({ secret: SECRET, ttlSeconds: 3600 });
      assert.equal((await tokens.verify(await signed({ userId: 'u1' }))).userId, 'u1');
      assert.equal((await tokens.verify(await signed({ id: 2 }))).userId, '2');
      assert.equal((await tokens.verify(await signed({ _id: 'm3' }))).userId, 'm3');
      assert.equal((await tokens.verify(await signed({ _id: 'm3', id: 'i', sub: 's' }))).userId, 's');
      assert.equal((await tokens.verify(await signed({ _id: 'm3', userId: 'u' }))).userId, 'u');
    });

    it('narrowed to sub, refuses tokens of other kinds that carry the id in another claim', async () => {
      const tokens = new JoseTokenIssuer({ secret: SECRET, ttlSeconds: 3600, idClaims: ['sub'] });
      assert.equal((await tokens.verify(await signed({ sub: '5', userId: '6' }))).userId, '5');
      for (const claims of [{ userId: '6' }, { id: '6' }, { _id: '6' }, { sub: '' }, { sub: { id: 6 } }])
        await invalid(tokens, await signed(claims));
    });

    it('follows a custom order, and reads only own claims', async () => {
      const tokens = new JoseTokenIssuer({
        secret: SECRET,
        ttlSeconds: 3600,
        idClaims: ['uid', 'sub', 'constructor'],
      });
      assert.equal((await tokens.verify(await signed({ sub: 's', uid: 'u' }))).userId, 'u');
      assert.equal((await tokens.verify(await signed({ sub: 's' }))).userId, 's');
      await invalid(tokens, await signed({ name: 'only inherited names' }));
    });

    it('is taken from the settings by fromConfig', async () => {
      const config = loadConfig({ JWT_ID_CLAIMS: 'sub' });
      const tokens = JoseTokenIssuer.fromConfig(config, SECRET);
      await invalid(tokens, await signed({ userId: '6' }));
      assert.equal((await tokens.verify(await tokens.issue('6'))).userId, '6');
    });
  });
});
