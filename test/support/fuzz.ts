import fc from 'fast-check';

/**
 * Shared pieces of the property-based fuzz suites: the seed, generators of hostile values, and an oracle
 * of the documented input rules (docs/protocol.md) that says whether the server must accept a value,
 * must reject it, or may do either (where the rules leave room).
 */

/** Fixed so CI replays the same payloads; `FUZZ_SEED=<n>` explores others, `FUZZ_SCALE=<k>` runs k× more. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20250131);
const FUZZ_SCALE = Number(process.env.FUZZ_SCALE ?? 1);
export const fuzzOptions = <Ts>(numRuns: number): fc.Parameters<Ts> => ({
  seed: FUZZ_SEED,
  numRuns: Math.max(1, Math.round(numRuns * FUZZ_SCALE)),
  // No shrinking: the server keeps state, so replays of smaller inputs would no longer match the model.
  endOnFailure: true,
  reporter: (details) => fuzzReporter(details),
});

export type Verdict = 'accept' | 'reject' | 'either';
/** Any reject rejects; otherwise any doubt stays a doubt. */
export const all = (...verdicts: Verdict[]): Verdict =>
  verdicts.includes('reject') ? 'reject' : verdicts.includes('either') ? 'either' : 'accept';

/** What the server receives for a value sent as JSON (a REST body, a Socket.IO packet without binary). */
export const overTheWire = <T>(value: T): T | undefined => {
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : (JSON.parse(text) as T);
};

// Socket.IO sends a packet holding binary differently: each object is copied key by key (so a boxed
// Number or a Map becomes `{}`), each binary becomes a placeholder object, then JSON as usual.
const isBinary = (v: unknown) => ArrayBuffer.isView(v) || v instanceof ArrayBuffer;
function hasBinary(v: unknown, viaToJSON = false): boolean {
  if (!v || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((item) => hasBinary(item));
  if (isBinary(v)) return true;
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && !viaToJSON) return hasBinary(toJSON.call(v), true);
  return Object.keys(v).some((k) => hasBinary((v as Record<string, unknown>)[k]));
}
function copied(v: unknown): unknown {
  if (!v || typeof v !== 'object' || v instanceof Date) return v;
  if (isBinary(v)) return { _placeholder: true };
  if (Array.isArray(v)) return Array.from(v, copied);
  // Plain assignment, as socket.io-parser does: a `__proto__` key sets the copy's prototype.
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(v)) copy[k] = copied((v as Record<string, unknown>)[k]);
  return copy;
}

/** The arguments a Socket.IO server handler receives for `args` emitted by socket.io-client. */
export const socketWire = (args: unknown[]): unknown[] =>
  overTheWire(hasBinary(args) ? copied(args) : args) as unknown[];

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const codePoints = (s: string) => Array.from(s).length;
/** An own property (what the server's parsed payload holds), never one inherited. */
export const field = (o: Record<string, unknown>, key: string): unknown =>
  Object.hasOwn(o, key) ? o[key] : undefined;

/** An id field (receiverId, messageId, otherUserId): its trimmed value, or undefined when malformed. */
export function idOf(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.includes('\0')) return undefined;
  const trimmed = v.trim();
  return trimmed.length > 0 && trimmed.length <= 128 ? trimmed : undefined;
}

/** Message content: a string without NUL, 1..max code points after trimming. */
export function contentVerdict(v: unknown, max = 5000): Verdict {
  if (typeof v !== 'string' || v.includes('\0')) return 'reject';
  const n = codePoints(v.trim());
  return n >= 1 && n <= max ? 'accept' : 'reject';
}

/** An optional bounded text (clientMessageId): lengths between code points and UTF-16 units are moot. */
export function optionalTextVerdict(v: unknown, max: number): Verdict {
  if (v === undefined) return 'accept';
  if (typeof v !== 'string' || v.includes('\0') || v.trim() === '') return 'reject';
  const t = v.trim();
  if (codePoints(t) > max) return 'reject';
  return t.length > max ? 'either' : 'accept';
}

/** `page` / `limit`: absent or null, or an integer ≥ 1 (numeric strings too); page at most 1000000. */
export function pageVerdict(v: unknown, max?: number): Verdict {
  if (v === undefined || v === null) return 'accept';
  let n: unknown = v;
  if (typeof v === 'string') {
    if (!/^\s*-?\d+\s*$/.test(v)) return 'reject';
    n = Number(v);
  }
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) return 'reject';
  return max !== undefined && n > max ? 'reject' : 'accept';
}

/** The page size a valid `limit` gives (default `fallback`, capped at 100). */
export const pageSize = (v: unknown, fallback: number) =>
  v === undefined || v === null ? fallback : Math.min(Number(v), 100);

/** Whether a parsed JSON value carries `__proto__` or `constructor.prototype` keys anywhere. */
export function poisoned(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(poisoned);
  if (!isObject(v)) return false;
  if (Object.hasOwn(v, '__proto__')) return true;
  const ctor = field(v, 'constructor');
  if (isObject(ctor) && Object.hasOwn(ctor, 'prototype')) return true;
  return Object.values(v).some(poisoned);
}

// ---------------------------------------------------------------------------------------------------------
// Generators

export const HUGE = 'x'.repeat(900 * 1024);
export const deep = (depth: number, leaf: unknown = 'leaf'): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = i % 2 ? { a: value } : [value];
  return value;
};

const KEYS = ['receiverId', 'content', 'clientMessageId', 'messageId', 'otherUserId', 'page', 'limit'];
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...KEYS, ...PROTO_KEYS));

/** Whether socket.io-client can send `args` at all (an object whose prototype is a Date instance cannot). */
export const sendable = (args: unknown[]) => {
  try {
    socketWire(args);
    return true;
  } catch {
    return false;
  }
};

/** `fc.anything` at its widest that a client can send (no BigInt), plus binary Buffers. */
export const junk: fc.Arbitrary<unknown> = fc
  .oneof(
    { weight: 6, arbitrary: fc.anything({ maxDepth: 3, maxKeys: 5, key, stringUnit: 'binary' }) },
    {
      weight: 2,
      arbitrary: fc.anything({
        maxDepth: 2,
        maxKeys: 4,
        key,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withDate: true,
        withNullPrototype: true,
        withObjectString: true,
        withTypedArray: true,
        withSparseArray: true,
      }),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.constantFrom(deep(1000), deep(40, { receiverId: '1' })) },
  )
  .filter((v) => sendable([v]));

/** Own `__proto__` / `constructor.prototype` keys (as a JSON parser produces them) around `inner`. */
export const polluted = (inner: Record<string, unknown>, bait: unknown): Record<string, unknown> => {
  const b = JSON.stringify(bait) ?? 'null';
  const rest = JSON.stringify(inner).slice(1);
  return JSON.parse(`{"__proto__":${b},"constructor":{"prototype":${b}}${rest === '}' ? '' : ','}${rest}`);
};

const PADS = ['', ' ', '\t', '\n ', '\u00a0', '\u3000', '\ufeff', '\u200b', '0', '+', '-', '.0', 'e0', '\0'];

/** Values for an id field: the real ids (padded, mangled), other ids, wrong types. */
export const idLike = (ids: readonly string[]): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(fc.constantFrom(...PADS), fc.constantFrom(...ids), fc.constantFrom(...PADS))
        .map(([a, id, b]) => `${a}${id}${b}`),
    },
    { weight: 2, arbitrary: fc.nat({ max: 30 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom(...ids).map(Number) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 10 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        '   ',
        '1'.repeat(129),
        'x'.repeat(128),
        '999999999999999',
        '1e3',
        'NaN',
      ),
    },
    { weight: 1, arbitrary: fc.constantFrom('٣', '２', '0x1', '-1', '1.5', "1' OR '1'='1", '{"$ne":null}') },
    { weight: 3, arbitrary: junk },
  );

const WHITE = fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2028', '\u3000', '\ufeff');
const around = (n: number) => fc.integer({ min: n - 3, max: n + 2 });

/** Message content: text of every kind, blank, NUL, around the 5000 limit (in code points), wrong types. */
export const contentLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.string({ unit: WHITE, maxLength: 6 }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(around(5000), fc.constantFrom('y', '😀', 'é'), fc.constantFrom('', '  '))
      .map(([n, c, pad]) => `${pad}${c.repeat(n)}${pad}`),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }).map((s) => `${s}\0${s}`) },
  { weight: 3, arbitrary: junk },
  { weight: 1, arbitrary: fc.constant(HUGE) },
);

/** clientMessageId: small alphabet so retries collide, lengths around 128, wrong types. */
export const clientIdLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.string({ unit: fc.constantFrom('a', 'b', ' ', 'é'), maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.tuple(around(128), fc.constantFrom('k', '😀')).map(([n, c]) => c.repeat(n)),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, '', '\0', 'a\0b', 42) },
  { weight: 1, arbitrary: junk },
);

/** page / limit: integers near the bounds, numeric strings, fractions, wrong types. */
export const pageLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.integer({ min: -3, max: 120 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(null, 0, -0, 1e6, 1e6 + 1, 2 ** 53, 1e21, 1.5, NaN, Infinity, '', ' ', '-0'),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('', ' ', '+', '0', '\t'),
        fc.integer({ min: -5, max: 150 }),
        fc.constantFrom('', ' ', '.0', 'x'),
      )
      .map(([a, n, b]) => `${a}${n}${b}`),
  },
  { weight: 2, arbitrary: junk },
);

/** Up to three extra arguments after the payload. */
export const extras = fc.oneof(
  { weight: 3, arbitrary: fc.constant([] as unknown[]) },
  { weight: 1, arbitrary: fc.array(junk, { minLength: 1, maxLength: 3 }) },
);

/** A record of `fields` (only `required` sure to be there), plus stray keys and, sometimes, poison keys. */
export const objectOf = (
  fields: Record<string, fc.Arbitrary<unknown>>,
  required: string[] = [],
): fc.Arbitrary<unknown> =>
  fc
    .tuple(
      fc.record(fields, { requiredKeys: required }),
      fc.dictionary(key, junk, { maxKeys: 2 }),
      fc.oneof({ weight: 7, arbitrary: fc.constant(CLEAN) }, { weight: 1, arbitrary: junk }),
    )
    .map(([known, stray, bait]) => {
      const body = { ...stray, ...known };
      return bait === CLEAN ? body : polluted(body, bait);
    });
const CLEAN = Symbol('no poison keys');

/** fast-check's report with each line cut short (a 900 KB counterexample would drown the seed). */
export const fuzzReporter = <Ts>(details: fc.RunDetails<Ts>) => {
  if (!details.failed) return;
  const error =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  const report = `${fc.defaultReportMessage(details) ?? 'property failed'}\nGot error: ${error}`;
  const cut = report
    .split('\n')
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)}… (${line.length} chars)` : line));
  throw new Error(cut.join('\n'));
};

/** `good` five times out of six, otherwise one of `bad`. */
export const mostly = (good: fc.Arbitrary<unknown>, ...bad: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 5 * bad.length, arbitrary: good }, ...bad);
