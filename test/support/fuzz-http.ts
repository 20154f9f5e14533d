import fc from 'fast-check';
import * as F from './fuzz.js';

/**
 * HTTP pieces of the REST fuzz suite: request bodies under every content type, query strings and path
 * segments, Authorization headers — each with what the server should make of it, to feed the oracle.
 */

export interface Sent {
  contentType?: string;
  body?: string | Uint8Array;
}

/**
 * What the route handler gets as the body: a JSON value (undefined for none), `refused` (a 4xx before
 * the handler), `other` (a non-JSON body: text, or a 415 — never an object), or `unsure` (odd types,
 * which may be read as JSON: `value` is what that would give).
 */
export type BodyView = { kind: 'value' | 'unsure'; value: unknown } | { kind: 'refused' | 'other' };

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON'];
const OTHER_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
];
const ODD_TYPES = [
  'application/json;charset=latin1',
  'application/jsonx',
  'application/vnd.api+json',
  'json, text/xml',
];
const contentType = fc.constantFrom(undefined, ...JSON_TYPES, ...OTHER_TYPES, ...ODD_TYPES, '');

/** Texts that are almost JSON: cut short, trailing garbage, single quotes, comments, poison keys. */
const mangled = (value: fc.Arbitrary<unknown>) =>
  fc
    .tuple(value, fc.nat(), fc.constantFrom('cut', 'tail', 'quotes', 'comment', 'proto', 'ctor'))
    .map(([v, n, how]) => {
      const text = JSON.stringify(v) ?? 'undefined';
      if (how === 'cut') return text.slice(0, n % (text.length + 1));
      if (how === 'tail') return `${text},`;
      if (how === 'quotes') return text.replaceAll('"', "'");
      if (how === 'comment') return `/* hi */${text}`;
      const key = how === 'proto' ? '"__proto__":{"x":1}' : '"constructor":{"prototype":{"x":1}}';
      return text.startsWith('{') && text !== '{}' ? `{${key},${text.slice(1)}` : `{${key}}`;
    });

/** A request body: mostly JSON of `value`, else near-JSON, raw text or bytes, odd content types, 1.1 MB. */
export const bodyOf = (value: fc.Arbitrary<unknown>): fc.Arbitrary<Sent> =>
  fc.oneof(
    {
      weight: 120,
      arbitrary: value.map((v) => ({ contentType: 'application/json', body: JSON.stringify(v) })),
    },
    {
      weight: 20,
      arbitrary: fc
        .tuple(
          fc.oneof(
            value.map((v) => JSON.stringify(v) ?? ''),
            mangled(value),
          ),
          contentType,
        )
        .map(([body, type]) => ({ contentType: type, body })),
    },
    {
      weight: 10,
      arbitrary: fc
        .tuple(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 40 })), contentType)
        .map(([body, type]) => ({ contentType: type, body })),
    },
    { weight: 10, arbitrary: fc.constant({ contentType: 'application/json' }) },
    {
      weight: 1,
      arbitrary: fc.constant({ contentType: 'application/json', body: `"${F.HUGE}${F.HUGE}"` }),
    },
  );

/** What the route handler receives for `sent` (Fastify's parsers; ours for JSON). */
export function bodyView(sent: Sent): BodyView {
  const body = typeof sent.body === 'string' ? sent.body : new TextDecoder().decode(sent.body);
  const json = sent.contentType !== undefined && JSON_TYPES.includes(sent.contentType);
  if (sent.body === undefined || (json && body.trim() === '')) return { kind: 'value', value: undefined };
  if (Buffer.byteLength(body) > 1024 * 1024) return { kind: 'refused' };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    value = undefined;
  }
  if (!json)
    return sent.contentType && ODD_TYPES.includes(sent.contentType)
      ? { kind: 'unsure', value }
      : { kind: 'other' };
  return value === undefined || F.poisoned(value) ? { kind: 'refused' } : { kind: 'value', value };
}

/** Query string pairs with what the server parses them into (repeated keys become arrays). */
export interface Query {
  text: string;
  view: Record<string, string | string[]>;
  exact: boolean;
}

const queryValue = fc.oneof(
  F.pageLike.filter((v) => v !== undefined && v !== null && typeof v !== 'object').map(String),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.tuple(fc.integer({ min: 95, max: 105 }), fc.constantFrom('q', '😀', ' ')).map(([n, c]) => c.repeat(n)),
);

export const queryOf = (keys: string[], values: fc.Arbitrary<string> = queryValue): fc.Arbitrary<Query> =>
  fc
    .tuple(
      fc.array(
        fc.tuple(
          fc.oneof(
            { weight: 5, arbitrary: fc.constantFrom(...keys) },
            fc.constantFrom('x', 'PAGE', 'page[]', '__proto__', 'constructor', ''),
          ),
          fc.option(values, { freq: 10 }),
        ),
        { maxLength: 4 },
      ),
      fc.oneof(
        { weight: 12, arbitrary: fc.constant('') },
        fc.constantFrom('&%', '&page=%zz', '&limit=%E0%A4%A', '&&=&', '&q=%C0%AF'),
      ),
    )
    .map(([pairs, garbage]) => {
      const text = pairs
        .map(([k, v]) =>
          v === null ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`,
        )
        .join('&');
      const params = new URLSearchParams(text);
      const view: Record<string, string | string[]> = {};
      for (const k of new Set(params.keys())) {
        const all = params.getAll(k);
        view[k] = all.length === 1 ? (all[0] as string) : all;
      }
      return { text: `${text}${garbage}`, view, exact: garbage === '' };
    });

/** `String(v)`, or its JSON for values that refuse (null-prototype objects, a non-function toString). */
const text = (v: unknown): string => {
  try {
    return String(v);
  } catch {
    return JSON.stringify(v) ?? 'undefined';
  }
};

/** A path segment: an encoded value (decoded by the router) or raw bytes that may not decode at all. */
export const segmentOf = (value: fc.Arbitrary<unknown>): fc.Arbitrary<{ text: string; decoded?: string }> =>
  fc.oneof(
    { weight: 8, arbitrary: value.map((v) => ({ text: encodeURIComponent(text(v)), decoded: text(v) })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%00', '%20', '%2F', '%25', '%FF', ';'),
          value,
        )
        .map(([raw, v]) => ({ text: `${raw}${encodeURIComponent(text(v))}` })),
    },
  );

/** An Authorization header (or none) and whether it names the fuzzer. */
export const authOf = (token: string): fc.Arbitrary<{ header?: string; valid: boolean }> =>
  fc.oneof(
    { weight: 20, arbitrary: fc.constant({ header: `Bearer ${token}`, valid: true }) },
    fc.constantFrom(
      { header: token, valid: true },
      { header: `bearer   ${token}`, valid: true },
      { valid: false },
      { header: '', valid: false },
      { header: 'Bearer ', valid: false },
      { header: `Bearer ${token}x`, valid: false },
      { header: `Basic ${token}`, valid: false },
      { header: 'Bearer a.b.c', valid: false },
    ),
  );

export interface Answer {
  status: number;
  contentType: string;
  body: any;
}

/** One request with a deadline; the answer's body parsed when it is JSON. */
export async function request(
  url: string,
  method: string,
  path: string,
  sent: Sent & { authorization?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (sent.contentType !== undefined) headers['content-type'] = sent.contentType;
  if (sent.authorization !== undefined) headers.authorization = sent.authorization;
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: sent.body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // left as text: the assertion shows it
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body };
}
