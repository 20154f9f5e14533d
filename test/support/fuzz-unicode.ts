import fc from 'fast-check';

/**
 * Text generators for the "stored exactly as sent" properties: well-formed Unicode of every kind the
 * server must keep byte for byte, and strings holding lone UTF-16 surrogates, which it must refuse.
 */

/** Characters that tend to break storage or comparison: astral, combining, joiners, RTL, noncharacters. */
const TRICKY = [
  '😀',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  '𠜎',
  'e\u0301',
  '\u0301',
  'ﬃ',
  'ß',
  'İ',
  'שלום',
  'مرحبا',
  '\u202e',
  '\u200d',
  '\u00a0',
  '\ufffd',
  '\ufffe',
  '\uffff',
  '\u{10ffff}',
  '\u{e0001}',
  '\ud83d\ude00',
  '\u0085',
  '\u001b[31m',
  "'; --",
  '%00',
  '\\u0000',
];

/** Well-formed Unicode (no lone surrogate, no NUL), 1 to ~40 code points, never blank. */
export const validUnicode: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }) },
      { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }) },
      { weight: 3, arbitrary: fc.constantFrom(...TRICKY) },
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join('').replaceAll('\0', '\u2400'))
  .filter((s) => s.isWellFormed() && s.trim().length > 0);

/** One lone surrogate (high or low), as a string of one UTF-16 unit. */
const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));

/** Strings with at least one lone UTF-16 surrogate (not well-formed Unicode), around ordinary text. */
export const loneSurrogates: fc.Arbitrary<string> = fc
  .tuple(fc.string({ maxLength: 4 }), lone, fc.string({ maxLength: 4 }))
  .map(([a, l, b]) => `${a}${l}${b}`)
  .filter((s) => !s.isWellFormed());

/** `text` with one code point changed (to the next scalar value): a different, still valid, string. */
export function twinOf(text: string): string {
  const points = Array.from(text);
  const last = points.length - 1;
  const code = points[last]!.codePointAt(0)!;
  const next = code === 0xd7ff ? 0xe000 : code >= 0x10ffff ? 0x41 : code + 1;
  points[last] = String.fromCodePoint(next);
  return points.join('');
}
