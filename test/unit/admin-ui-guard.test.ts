import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trustFunction } from '../../src/security/client-ip.js';
import { FlexibleRateLimiter, noRateLimits } from '../../src/security/flexible-rate-limiter.js';
import { adminUiGuard, type AdminUiGuardOptions } from '../../src/transport/socket/admin-ui-guard.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A fake admin-namespace socket from `ip` with these handshake credentials. */
const socketOf = (auth: Record<string, unknown>, ip = '10.0.0.1', headers: Record<string, unknown> = {}) => {
  const emitted: string[] = [];
  return {
    handshake: { auth, address: ip, headers },
    emit: (_event: 'session', id: string) => void emitted.push(id),
    emitted,
  };
};

/** Runs the guard on one socket: resolves with what it passed to `next` (undefined: let through). */
const attempt = (guard: ReturnType<typeof adminUiGuard>, socket: ReturnType<typeof socketOf>) =>
  new Promise<string | undefined>((resolve) => guard(socket, (err) => resolve(err?.message)));

/** A password check that takes `ms` and records how many ran at once. */
function slowCheck(ms: number) {
  const seen = { calls: 0, running: 0, most: 0 };
  const verify = async (password: string) => {
    seen.calls += 1;
    seen.running += 1;
    seen.most = Math.max(seen.most, seen.running);
    await new Promise((resolve) => setTimeout(resolve, ms));
    seen.running -= 1;
    return password === 'right';
  };
  return { seen, verify };
}

const sessions = () => {
  const saved = new Set<string>();
  return {
    saved,
    doesSessionExist: async (id: string) => saved.has(id),
    saveSession: (id: string) => void saved.add(id),
  };
};

const guardWith = (over: Partial<AdminUiGuardOptions> & Pick<AdminUiGuardOptions, 'verify'>) =>
  adminUiGuard({ username: 'ops', sessions: sessions(), limits: noRateLimits, logger: silent, ...over });

describe('adminUiGuard', () => {
  it('refuses credentials that are not short strings without checking a password', async () => {
    const check = slowCheck(1);
    const guard = guardWith({ verify: check.verify });
    for (const auth of [
      {},
      { username: 'ops' },
      { username: 'ops', password: 1 },
      { username: 'ops', password: ['right'] },
      { username: 'ops', password: 'x'.repeat(1025) },
      { username: { toString: () => 'ops' }, password: 'right' },
      { sessionId: 42, username: 'ops', password: 'right' },
    ]) {
      assert.equal(await attempt(guard, socketOf(auth)), 'invalid credentials', JSON.stringify(auth));
    }
    assert.equal(check.seen.calls, 0);
  });

  it('runs one password check at a time, and refuses attempts past the queue at once', async () => {
    const check = slowCheck(20);
    const guard = guardWith({ verify: check.verify, queueLimit: 3 });
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => attempt(guard, socketOf({ username: 'ops', password: `p${i}` }))),
    );
    assert.equal(check.seen.most, 1);
    assert.equal(check.seen.calls, 4, 'one running, three queued');
    assert.deepEqual(outcomes.filter((o) => o === 'invalid credentials').length, 4);
    assert.deepEqual(
      outcomes.filter((o) => o?.startsWith('Too many admin UI login attempts at once')).length,
      2,
    );
    // The gate is free again afterwards.
    assert.equal(await attempt(guard, socketOf({ username: 'ops', password: 'right' })), undefined);
  });

  it('counts attempts per IP before checking: past the limit, no check runs; a success clears it', async () => {
    const check = slowCheck(1);
    const limits = new FlexibleRateLimiter({ adminUi: [{ points: 2, durationSeconds: 60 }] });
    const guard = guardWith({ verify: check.verify, limits });
    const from = (ip: string, password = 'wrong') =>
      attempt(guard, socketOf({ username: 'ops', password }, ip));
    assert.equal(await from('10.0.0.1'), 'invalid credentials');
    assert.equal(await from('10.0.0.1', 'right'), undefined);
    assert.equal(await from('10.0.0.1'), 'invalid credentials');
    assert.equal(await from('10.0.0.1'), 'invalid credentials');
    assert.match((await from('10.0.0.1', 'right')) ?? '', /^Too many admin UI login attempts: try again in/);
    assert.equal(check.seen.calls, 4);
    assert.equal(await from('10.0.0.2', 'right'), undefined, 'another IP has its own count');
    // A wrong username counts too, without a password check.
    assert.equal(await from('10.0.0.3', 'wrong'), 'invalid credentials');
    assert.equal(
      await attempt(guard, socketOf({ username: 'root', password: 'x' }, '10.0.0.3')),
      'invalid credentials',
    );
    assert.match(
      (await attempt(guard, socketOf({ username: 'root', password: 'x' }, '10.0.0.3'))) ?? '',
      /^Too many/,
    );
  });

  it('counts attempts from all addresses together too, so many addresses cannot keep bcrypt busy', async () => {
    const check = slowCheck(1);
    const limits = new FlexibleRateLimiter({
      adminUi: [{ points: 10, durationSeconds: 60 }],
      adminUiAll: [{ points: 3, durationSeconds: 60 }],
    });
    const guard = guardWith({ verify: check.verify, limits });
    for (let i = 1; i <= 3; i++)
      assert.equal(
        await attempt(guard, socketOf({ username: 'ops', password: 'no' }, `10.1.0.${i}`)),
        'invalid credentials',
      );
    assert.match(
      (await attempt(guard, socketOf({ username: 'ops', password: 'no' }, '10.1.0.4'))) ?? '',
      /^Too many admin UI login attempts: try again in/,
    );
    assert.equal(check.seen.calls, 3);
  });

  it('behind a trusted proxy (one hop), counts per client the proxy saw', async () => {
    const limits = new FlexibleRateLimiter({ adminUi: [{ points: 1, durationSeconds: 60 }] });
    const guard = guardWith({ verify: slowCheck(1).verify, limits, trustProxy: trustFunction(1) });
    const via = (client: string) =>
      attempt(
        guard,
        socketOf({ username: 'ops', password: 'no' }, '10.9.9.9', { 'x-forwarded-for': client }),
      );
    assert.equal(await via('198.51.100.1, 203.0.113.1'), 'invalid credentials');
    assert.equal(await via('203.0.113.2'), 'invalid credentials');
    // What the client wrote before the proxy's entry does not give it a fresh count.
    assert.match((await via('198.51.100.2, 203.0.113.1')) ?? '', /^Too many/);
  });

  it('opens a session on success, hands it on, and lets that session back in without a check', async () => {
    const check = slowCheck(1);
    const store = sessions();
    const guard = guardWith({ verify: check.verify, sessions: store });
    const socket = socketOf({ username: 'ops', password: 'right' });
    assert.equal(await attempt(guard, socket), undefined);
    const [session] = socket.emitted;
    assert.ok(session && store.saved.has(session));
    assert.equal(socket.handshake.auth.sessionId, session, 'for instrument: no second bcrypt check');
    assert.equal(await attempt(guard, socketOf({ sessionId: session })), undefined);
    assert.equal(await attempt(guard, socketOf({ sessionId: 'made-up' })), 'invalid credentials');
    assert.equal(check.seen.calls, 1);
  });

  it('turns a failing check or limiter into a refusal, never a rejection', async () => {
    const broken = guardWith({ verify: () => Promise.reject(new Error('bcrypt exploded')) });
    assert.equal(await attempt(broken, socketOf({ username: 'ops', password: 'x' })), 'invalid credentials');
    const limits = { ...noRateLimits, consume: () => Promise.reject(new Error('redis down')) };
    const unlimited = guardWith({ verify: slowCheck(1).verify, limits });
    assert.equal(
      await attempt(unlimited, socketOf({ username: 'ops', password: 'right' })),
      'invalid credentials',
    );
  });
});
