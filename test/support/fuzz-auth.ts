import fc from 'fast-check';
import type { ChatModel } from './fuzz-model.js';
import * as F from './fuzz.js';

/** Generators and the oracle for POST /api/auth/register and /api/auth/login (docs/protocol.md). */

const SURE_EMAIL = /^[a-z0-9]+([._+-][a-z0-9]+)*@[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+)*\.[a-z]{2,10}$/;
export const hasNul = (v: unknown) => typeof v === 'string' && v.includes('\0');
const cp = (s: string) => Array.from(s).length;

/** A length rule the docs count in code points and zod in UTF-16 units: between the two, either. */
export const bounded = (s: string, min: number, max: number): F.Verdict =>
  cp(s) < min || cp(s) > max ? 'reject' : s.length < min || s.length > max ? 'either' : 'accept';

/** Registration bodies: mostly well-formed fields (names colliding on purpose), each sometimes broken. */
export const registerBody = (): fc.Arbitrary<unknown> => {
  const username = F.mostly(
    fc.oneof(
      { weight: 4, arbitrary: fc.uuid().map((u) => `u.${u.slice(0, 13)}`) },
      fc.constantFrom('fuzz_a', 'FUZZ_A', ' fuzz.b '),
    ),
    fc.constantFrom('ab', 'x'.repeat(51), 'no space', 'ünï'),
    F.junk,
  );
  const email = F.mostly(
    fc.oneof(
      { weight: 4, arbitrary: fc.uuid().map((u) => `${u.slice(0, 8)}@example.test`) },
      fc.constantFrom('dup@example.test', ' DUP@Example.TEST '),
    ),
    fc.oneof(fc.emailAddress(), fc.constantFrom('no-at', '@x.io', `${'m'.repeat(250)}@x.io`)),
    F.junk,
  );
  const password = F.mostly(
    fc.string({ minLength: 8, maxLength: 20, unit: 'binary' }),
    fc.constantFrom('short', '😀'.repeat(5), 'p'.repeat(257), ''),
    F.junk,
  );
  const role = F.mostly(
    fc.constantFrom(undefined, 'agent', ' Admin '),
    fc.constantFrom('9lives', 'r'.repeat(33), null, ''),
    F.junk,
  );
  const name = F.mostly(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
    fc.constantFrom('', ' ', 'n'.repeat(101), 'a\0b'),
    F.junk,
  );
  const shape = { name, username, email, password, role };
  return F.mostly(F.objectOf(shape, ['name', 'username', 'email', 'password']), F.junk);
};

export function registerVerdict(model: ChatModel, v: unknown): F.Verdict {
  if (!F.isObject(v)) return 'reject';
  const [name, username, email, password, role] = ['name', 'username', 'email', 'password', 'role'].map((k) =>
    F.field(v, k),
  );
  if (typeof name !== 'string' || hasNul(name) || typeof username !== 'string') return 'reject';
  if (typeof email !== 'string' || typeof password !== 'string') return 'reject';
  if (!/^[A-Za-z0-9_.-]{3,50}$/.test(username.trim())) return 'reject';
  const mail = email.trim().toLowerCase();
  if (mail.length > 254 || !mail.includes('@')) return 'reject';
  const roleOk =
    role === undefined ||
    (typeof role === 'string' && /^[a-z][a-z0-9_-]{0,31}$/.test(role.trim().toLowerCase()));
  const taken = [...model.users.values()].some(
    (u) => u.user.username.toLowerCase() === username.trim().toLowerCase() || u.user.email === mail,
  );
  return F.all(
    roleOk && !taken ? 'accept' : 'reject',
    bounded(name.trim(), 1, 100),
    bounded(password, 8, 256),
    SURE_EMAIL.test(mail) ? 'accept' : 'either',
  );
}

/** Login bodies naming one of the model's users in some spelling, mostly with that user's password. */
export const loginBody = (model: ChatModel): fc.Arbitrary<unknown> =>
  F.mostly(
    fc.constantFrom(...model.users.values()).chain(({ user, password }) => {
      const spelling = fc.constantFrom(
        user.email,
        ` ${user.email.toUpperCase()} `,
        user.username.toUpperCase(),
      );
      const who = F.mostly(spelling, fc.constantFrom(undefined, '', ' ', 'nobody@example.test'), F.junk);
      const wrong = fc.constantFrom('', 'wrong password', `${password} `, 'p'.repeat(257));
      return F.objectOf(
        { email: who, username: who, password: F.mostly(fc.constant(password), wrong, F.junk) },
        ['password'],
      );
    }),
    F.junk,
  );

/** 'accept' means 200: the named user exists and the password is theirs. */
export function loginVerdict(model: ChatModel, v: unknown): F.Verdict {
  if (!F.isObject(v)) return 'reject';
  const [email, username, password] = ['email', 'username', 'password'].map((k) => F.field(v, k));
  if (![email, username].every((x) => x === undefined || typeof x === 'string')) return 'reject';
  if (typeof password !== 'string' || password.length < 1 || password.length > 256) return 'reject';
  const mail = (email as string | undefined)?.trim().toLowerCase();
  const name = (username as string | undefined)?.trim();
  if ((mail?.length ?? 0) > 254 || (name?.length ?? 0) > 50 || (!mail && !name)) return 'reject';
  const user = [...model.users.values()].find((u) =>
    mail ? u.user.email === mail : u.user.username.toLowerCase() === name?.toLowerCase(),
  );
  return user?.password === password ? 'accept' : 'reject';
}
